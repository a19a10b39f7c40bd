"""Throwaway benchmark databases on the embedded cluster: schema, boundaries, data; timed."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

from geo import clock
from geo.boundaries import Manifest, fetch_set, load_set
from geo.migrate import migrate
from geo.settings import Settings
from tests.dbutil import create_database, dbname_of, drop_database

ROOT = Path(__file__).resolve().parents[1]


def pantau(args: list[str], url: str, stdin: str | None = None, timeout: int = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": url}, timeout=timeout)


def has_command(name: str) -> bool:
    res = subprocess.run([sys.executable, "-m", "geo.cli", name, "--help"], cwd=ROOT, capture_output=True, text=True)
    return res.returncode == 0


def new_database(server: str, settings: Settings, boundary_set: str) -> tuple[str, float]:
    """A database with the schema and one boundary set; (url, seconds to load the boundaries)."""
    url = create_database(server, prefix="pantau_hbench")
    manifest = Manifest.read(settings.boundaries.manifest)
    layer_set = manifest.layer_set(boundary_set)
    _, files = fetch_set(manifest, layer_set, settings.database.home / "boundaries", settings.boundaries.source)
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        started = time.perf_counter()
        load_set(conn, layer_set, files, "bench")
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return url, seconds


def migrate_db(url: str) -> None:
    """Apply migrations added since the database was made (colleagues add them while the bench runs)."""
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
    finally:
        conn.close()


def drop(server: str, url: str) -> None:
    drop_database(server, dbname_of(url))


def _child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def fill(url: str, companies: int, workers: int) -> dict:
    """`pantau demo` when it exists (timed as a separate process), else the SQL filler."""
    started = time.perf_counter()
    if has_command("demo"):
        res = pantau(["demo", "--companies", str(companies), "--workers", str(workers)], url)
        how = "pantau demo"
        if res.returncode != 0:
            raise RuntimeError(f"pantau demo failed: {(res.stderr or res.stdout)[-500:]}")
        detail = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    else:
        from bench.sqlfill import fill as sql_fill

        counts = sql_fill(url, companies, workers, companies * 2)
        how, detail = "SQL generate_series (pantau demo not available)", str(counts)
    seconds = time.perf_counter() - started
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        # The statistics' first count of the new data (migration 0090), not left to the measured requests.
        cur.execute("SELECT stats_refresh(%s)", (clock.today(),))
        # And the foreign nationals' (migration 0110): a read counts at most 20,000 queued persons.
        cur.execute("SELECT fn_present_refresh(%s)", (clock.today(),))
        cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers), "
                    "(SELECT count(*) FROM inspections)")
        c, w, i = cur.fetchone()
    conn.close()
    return {"how": how, "seconds": seconds, "detail": detail, "companies": c, "workers": w, "inspections": i}


COMPANIES_CSV = """COPY (SELECT c.nib AS nib, c.name AS nama_perusahaan, s.label AS sektor, c.kbli, c.address AS alamat,
       '' AS kabupaten_kota, '' AS kecamatan, round(ST_Y(c.geom)::numeric, 6) AS latitude,
       round(ST_X(c.geom)::numeric, 6) AS longitude, c.rptka_valid_until AS rptka_berlaku_hingga
  FROM companies c JOIN sectors s ON s.code = c.sector ORDER BY c.id) TO STDOUT WITH (FORMAT csv, HEADER)"""
WORKERS_CSV = """COPY (SELECT c.nib AS nib, w.full_name AS nama_lengkap, w.passport_number AS nomor_paspor,
       w.nationality AS kewarganegaraan, w.sex AS jenis_kelamin, w.position AS jabatan, w.rptka_number AS nomor_rptka,
       w.permit_valid_until AS izin_berlaku_hingga, w.itas_number AS nomor_itas,
       w.itas_valid_until AS itas_berlaku_hingga
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id ORDER BY w.id) TO STDOUT WITH (FORMAT csv, HEADER)"""


def export_csvs(url: str, folder: Path) -> tuple[Path, Path]:
    """The filled database as agency files in the import templates."""
    paths = folder / "companies.csv", folder / "workers.csv"
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            for sql, path in zip((COMPANIES_CSV, WORKERS_CSV), paths, strict=True):
                with path.open("w", encoding="utf-8") as f:
                    cur.copy_expert(sql, f)
    finally:
        conn.close()
    return paths


def timed_import(url: str, kind: str, path: Path) -> dict:
    """One `pantau import KIND FILE --skip-invalid` process: wall time, peak RSS, its summary line."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "geo.cli", "import", kind, str(path), "--skip-invalid",
                             "--source", "disnakertrans"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    lines = out.strip().splitlines()
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "ok": code == 0,
            "summary": (lines[0] if code == 0 and lines else f"exit {code}: {(lines or [''])[-1]}")[:160]}
