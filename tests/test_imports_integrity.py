"""Imports against independent truth: district counts by geopandas, and a killed import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import geopandas as gpd
import pandas as pd
import psycopg2
import pytest

from geo.imports.service import run_import
from geo.settings import PROJECT_ROOT, Settings
from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    synthetic_companies,
)

pytestmark = pytest.mark.slow  # a 40,000-row import killed midway

DISTRICTS = Settings().database.home / "boundaries" / "kalteng" / "districts.geojson"


def _valid_rows(path, bad_lines) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["line"] = range(2, len(frame) + 2)
    return frame[~frame["line"].isin(bad_lines)]


def test_district_counts_equal_geopandas_sjoin(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    try:
        run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "companies.csv", mode="skip_invalid")
        run_import(conn, "workers", WORKERS_CSV.read_bytes(), "workers.csv", mode="skip_invalid")
        with conn.cursor() as cur:
            cur.execute("SELECT district_code, count(*) FROM companies GROUP BY 1")
            db_companies = dict(cur.fetchall())
            cur.execute("SELECT c.district_code, count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id "
                        "GROUP BY 1")
            db_workers = dict(cur.fetchall())
    finally:
        conn.close()

    districts = gpd.read_file(DISTRICTS)[["code", "geometry"]]
    companies = _valid_rows(COMPANIES_CSV, BAD_COMPANY_LINES)
    points = gpd.GeoDataFrame(
        companies[["nib"]], geometry=gpd.points_from_xy(companies["longitude"].astype(float),
                                                        companies["latitude"].astype(float)), crs="EPSG:4326")
    joined = gpd.sjoin(points, districts, predicate="within", how="left")
    assert joined["code"].notna().all() and len(joined) == len(points) == VALID_COMPANIES
    assert joined.groupby("code").size().to_dict() == db_companies

    workers = _valid_rows(WORKERS_CSV, BAD_WORKER_LINES).merge(joined[["nib", "code"]], on="nib")
    assert len(workers) == VALID_WORKERS
    assert workers.groupby("code").size().to_dict() == db_workers


def _state(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(sum(version), 0), max(updated_at) FROM companies")
        companies = cur.fetchone()
        cur.execute("SELECT count(*) FROM import_batches")
        batches = cur.fetchone()
        cur.execute("SELECT count(*) FROM company_reports")
        reports = cur.fetchone()
    conn.close()
    return companies, batches, reports


def test_kill_9_mid_import_leaves_database_unchanged(fresh_db_url, tmp_path):
    conn = psycopg2.connect(fresh_db_url)
    run_import(conn, "companies", COMPANIES_CSV.read_bytes(), "companies.csv", mode="skip_invalid")
    conn.close()
    before = _state(fresh_db_url)
    big = tmp_path / "big.csv"
    synthetic_companies(fresh_db_url, 40_000, big)

    env = {**os.environ, "DATABASE_URL": fresh_db_url}
    proc = subprocess.Popen([sys.executable, "-m", "geo.cli", "import", "companies", str(big), "--skip-invalid"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watch = psycopg2.connect(fresh_db_url)
    watch.autocommit = True
    seen = None
    deadline = time.monotonic() + 120
    try:
        with watch.cursor() as cur:
            while time.monotonic() < deadline and proc.poll() is None:
                # Wait until the import is writing companies inside its transaction, then kill it.
                cur.execute("SELECT query FROM pg_stat_activity WHERE application_name = 'pantau-import' "
                            "AND state = 'active' AND query LIKE '%%INSERT INTO companies%%'")
                row = cur.fetchone()
                if row:
                    seen = row[0]
                    os.kill(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.05)
            proc.wait(timeout=30)
            assert seen is not None, "the import finished before it could be killed"
            assert proc.returncode == -signal.SIGKILL
            # The server notices the lost client and rolls back; wait until its backend is gone.
            for _ in range(600):
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pantau-import'")
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
        watch.close()
    assert _state(fresh_db_url) == before


def test_importer_locates_points_as_locate_district_does(fresh_db_url):
    """The importer locates points itself (migration 0010 lets the trigger keep that); it must agree
    with locate_district() everywhere, including a coastal point just outside every polygon."""
    conn = psycopg2.connect(fresh_db_url)
    try:
        with conn.cursor() as cur:
            # 500 m south of the province's southernmost vertex: in no polygon, within 2 km of one.
            cur.execute("""SELECT ST_Y(p), ST_X(p) FROM (
                             SELECT ST_Translate(v.geom, 0, -0.0045) FROM (
                               SELECT (ST_DumpPoints(geom)).geom FROM boundaries WHERE level = 'province') v
                             ORDER BY ST_Y(v.geom) LIMIT 1) x(p)""")
            lat, lon = cur.fetchone()
        header = COMPANIES_CSV.read_text().splitlines()[0]
        row = f"6200000000001,PT Pesisir,Jasa,,,,,{lat:.6f},{lon:.6f},"
        text = (COMPANIES_CSV.read_text() + row + "\n").encode()
        assert header.startswith("nib,")
        report = run_import(conn, "companies", text, "c.csv", mode="skip_invalid")
        assert report.imported == VALID_COMPANIES + 1
        with conn.cursor() as cur:
            cur.execute("SELECT location_method, location_distance_m > 0 FROM companies WHERE nib = '6200000000001'")
            assert cur.fetchone() == ("nearest", True)
            cur.execute("""SELECT count(*) FROM companies c CROSS JOIN LATERAL locate_district(c.geom) d
                            WHERE (d.district_code, d.regency_code, d.method) IS DISTINCT FROM
                                  (c.district_code, c.regency_code, c.location_method)
                               OR abs(d.distance_m - c.location_distance_m) > 1e-6""")
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()
