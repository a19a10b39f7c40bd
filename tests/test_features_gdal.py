"""GDAL's OGC API – Features driver, a client nobody here wrote, reads every collection."""

from __future__ import annotations

import re
import subprocess

import psycopg2
import pyogrio
import pytest

from geo.features.catalog import CATALOG
from tests.test_features_data import site  # noqa: F401 - the module fixture

COUNT_SQL = {
    "companies": "SELECT count(*) FROM companies",
    "inspections": "SELECT count(*) FROM inspections",
    "provinces": "SELECT count(*) FROM boundaries WHERE level = 'province'",
    "regencies": "SELECT count(*) FROM boundaries WHERE level = 'regency'",
    "districts": "SELECT count(*) FROM boundaries WHERE level = 'district'",
    "villages": "SELECT count(*) FROM boundaries WHERE level = 'village'",
}


def gdal(site, *args: str) -> str:  # noqa: F811
    header = f"Authorization: Bearer {site.token('viewer')}"
    done = subprocess.run([*args[:1], "--config", "GDAL_HTTP_HEADERS", header, *args[1:]],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def db_count(site, collection: str) -> int:  # noqa: F811
    conn = psycopg2.connect(site.url)
    try:
        with conn.cursor() as cur:
            cur.execute(COUNT_SQL[collection])
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("collection", list(CATALOG))
def test_ogrinfo_reports_count_and_fields(site, collection):  # noqa: F811
    out = gdal(site, "ogrinfo", "-ro", "-so", f"OAPIF:{site.base}/api", collection)
    count = int(re.search(r"Feature Count: (\d+)", out).group(1))
    assert count == db_count(site, collection)
    fields = set(re.findall(r"^(\w+): \w+", out, flags=re.M)) - {"Geometry", "Extent"}
    assert {c.name for c in CATALOG[collection].columns} <= fields


def test_ogr2ogr_copies_every_company(site, tmp_path):  # noqa: F811
    out = tmp_path / "companies.gpkg"
    gdal(site, "ogr2ogr", "-f", "GPKG", "-oo", "PAGE_SIZE=7", str(out), f"OAPIF:{site.base}/api", "companies")
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == db_count(site, "companies")
    assert frame["nib"].is_unique
    conn = psycopg2.connect(site.url)
    with conn.cursor() as cur:
        cur.execute("SELECT nib, ST_X(geom), ST_Y(geom) FROM companies")
        truth = {nib: (x, y) for nib, x, y in cur.fetchall()}
    conn.close()
    for row in frame.itertuples():
        x, y = truth[row.nib]
        assert abs(row.geometry.x - x) < 1e-6 and abs(row.geometry.y - y) < 1e-6
