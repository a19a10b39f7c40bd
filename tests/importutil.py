"""Helpers for the import/export tests: running `pantau` and reading the sample files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from geo.settings import PROJECT_ROOT

SAMPLES = PROJECT_ROOT.parent / "shared" / "samples"
COMPANIES_CSV = SAMPLES / "companies.csv"
WORKERS_CSV = SAMPLES / "workers.csv"
BAD_COMPANY_LINES = [9, 16, 18, 23, 28, 48, 85, 124]
BAD_WORKER_LINES = [111, 352, 375, 379]


def pantau(*args, database_url: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "geo.cli", *map(str, args)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, **kwargs)


def sample_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]
