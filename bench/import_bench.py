"""Import benchmark: 100,000 companies + 500,000 workers through `pantau import`.

Generates synthetic CSVs (points sampled by PostGIS inside Kalimantan Tengah districts), imports
them into a throwaway database on the Pantau server, and records wall time and peak RSS of each
import process in bench/RESULTS-imports.md.

    .venv/bin/python bench/import_bench.py [--companies 100000] [--workers 500000]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.boundaries import Manifest, fetch_set, load_set  # noqa: E402
from geo.db import ensure_server  # noqa: E402
from geo.migrate import migrate  # noqa: E402
from geo.settings import Settings  # noqa: E402
from tests.dbutil import create_database, dbname_of, drop_database  # noqa: E402

SECTORS = ["Perkebunan kelapa sawit", "Pertambangan batubara", "Konstruksi", "Jasa", "Smelter", "Perdagangan"]
NATIONS = ["CN", "Tiongkok", "MY", "Malaysia", "KR", "Korea Selatan", "JP", "IN", "US", "PH", "GB", "AU"]
TITLES = ["Direktur", "Komisaris", "Manajer Teknik", "Ahli Geologi", "Konsultan", "Supervisor Produksi"]


def prepare_database(settings: Settings) -> tuple[str, str]:
    server = ensure_server(settings.database)
    url = create_database(server, prefix="pantau_bench")
    manifest = Manifest.read(settings.boundaries.manifest)
    _, files = fetch_set(manifest, manifest.layer_set("kalteng"), settings.database.home / "boundaries",
                         settings.boundaries.source)
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        load_set(conn, manifest.layer_set("kalteng"), files, "bench")
    finally:
        conn.close()
    return server, url


def sample_points(url: str, n: int) -> list[tuple[float, float]]:
    """Points at least 300 m inside a district, spread over all districts."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("""SELECT ST_Y(p.geom), ST_X(p.geom) FROM (
                             SELECT (ST_Dump(ST_GeneratePoints(ST_Buffer(geom::geography, -300)::geometry,
                                                               %s, 42))).geom
                               FROM boundaries WHERE level = 'district') p""", (n // 130 + 1,))
            points = cur.fetchall()
    finally:
        conn.close()
    random.Random(1).shuffle(points)
    return points[:n]


def write_files(url: str, n_companies: int, n_workers: int, folder: Path) -> tuple[Path, Path]:
    rnd = random.Random(7)
    nibs = [f"{1000000000000 + i * 7919}" for i in range(n_companies)]
    companies = folder / "companies.csv"
    with companies.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["nib", "nama_perusahaan", "sektor", "kbli", "alamat", "kabupaten_kota", "kecamatan",
                    "latitude", "longitude", "rptka_berlaku_hingga"])
        for nib, (lat, lon) in zip(nibs, sample_points(url, n_companies), strict=True):
            until = date(2025, 1, 1) + timedelta(days=rnd.randrange(1500))
            w.writerow([nib, f"PT Bench {nib}", rnd.choice(SECTORS), f"{rnd.randrange(100000):05d}",
                        f"Jl. Bench {nib[-4:]}", "", "", f"{lat:.6f}", f"{lon:.6f}",
                        until.strftime("%d/%m/%Y") if rnd.random() < 0.5 else until.isoformat()])
    workers = folder / "workers.csv"
    with workers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["nib", "nama_lengkap", "nomor_paspor", "kewarganegaraan", "jenis_kelamin", "jabatan",
                    "nomor_rptka", "izin_berlaku_hingga", "nomor_itas", "itas_berlaku_hingga"])
        for i in range(n_workers):
            until = date(2025, 1, 1) + timedelta(days=rnd.randrange(1500))
            w.writerow([rnd.choice(nibs), f"Bench Worker {i:07d}", f"B{i:08d}", rnd.choice(NATIONS),
                        rnd.choice("LP"), rnd.choice(TITLES), f"RPTKA/{i}/2026", until.isoformat(),
                        f"2C{i:010d}", until.strftime("%d/%m/%Y")])
    return companies, workers


def timed_import(url: str, kind: str, path: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, last output line) of one `pantau import` process."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "geo.cli", "import", kind, str(path), "--source", "disnakertrans"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import {kind} failed:\n{out[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=500_000)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS-imports.md")
    args = parser.parse_args()
    settings = Settings()
    server, url = prepare_database(settings)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            companies, workers = write_files(url, args.companies, args.workers, Path(tmp))
            generated = time.perf_counter() - t0
            runs = [
                ("companies (new)", *timed_import(url, "companies", companies)),
                ("workers (new)", *timed_import(url, "workers", workers)),
                ("companies (re-import, unchanged)", *timed_import(url, "companies", companies)),
                ("workers (re-import, unchanged)", *timed_import(url, "workers", workers)),
            ]
    finally:
        drop_database(server, dbname_of(url))
    write_results(args, runs, generated)


def write_results(args, runs, generated: float) -> None:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    first_two = runs[0][1] + runs[1][1]
    lines = [
        "# Import benchmark",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {os.cpu_count()} CPU ({platform.processor() or platform.machine()}), {mem_gb:.1f} GB RAM, "
        f"{platform.system()} {platform.release()}; shared with other engineers' work while measured "
        f"(1-min load average at the end: {os.getloadavg()[0]:.1f})",
        f"- data: {args.companies:,} companies, {args.workers:,} workers (synthetic, points inside districts); "
        f"files generated in {generated:.1f} s",
        "- command: `.venv/bin/python bench/import_bench.py` (each import a separate `pantau import` process; "
        "all-or-nothing mode, one transaction each)",
        "",
        "| import | wall time (s) | peak RSS (MB) | result |",
        "|---|---:|---:|---|",
        *[f"| {name} | {sec:.1f} | {rss:.0f} | {out} |" for name, sec, rss, out in runs],
        "",
        f"New companies + new workers together: **{first_two:.1f} s** (target < 60 s); "
        f"highest peak RSS {max(r[2] for r in runs):.0f} MB (target < 2 GB).",
        "",
    ]
    args.results.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
