"""GDAL's OGC API – Features driver, a client nobody here wrote, reads every collection; simple
attribute filters reach the server and large pages are allowed (Debian 12's GDAL 3.6 and the GDAL
bundled with pyogrio, a later version)."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg2
import pyogrio
import pytest

from geo.features.catalog import CATALOG
from tests.test_features_data import site  # noqa: F401 - the module fixture

pytestmark = pytest.mark.slow  # ogrinfo against a server

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


# The collections of issue 17 (empty in this dataset): tests/test_features_foreign_gdal.py.
@pytest.mark.parametrize("collection", list(COUNT_SQL))
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


def gdal_debug(site, *args: str) -> tuple[str, str, list[str]]:  # noqa: F811
    """Run a GDAL utility with its debug output: (stdout, stderr, every URL it fetched, in order)."""
    header = f"Authorization: Bearer {site.token('viewer')}"
    done = subprocess.run([*args[:1], "--config", "GDAL_HTTP_HEADERS", header, "--config", "CPL_DEBUG", "ON",
                           *args[1:]], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr, re.findall(r"^HTTP: Fetch\((.*)\)$", done.stderr, flags=re.M)


def items_requests(fetched: list[str], collection: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(url).query) for url in fetched if urlsplit(url).path.endswith(f"/{collection}/items")]


def scalar(site, sql: str):  # noqa: F811
    conn = psycopg2.connect(site.url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_ogrinfo_sends_a_simple_attribute_filter_to_the_server(site):  # noqa: F811
    """Before, GDAL found no queryable in the OpenAPI document ("Full filter will be evaluated on
    client side") and downloaded every company to keep the few of one sector."""
    out, err, fetched = gdal_debug(site, "ogrinfo", "-ro", "-al", "-q", "-where", "sector = 'jasa'",
                                   f"OAPIF:{site.base}/api", "companies")
    assert "evaluated on client side" not in err
    requests = items_requests(fetched, "companies")
    filtered = [q for q in requests if q.get("sector") == ["jasa"]]
    # Only the first request (GDAL learns the fields from one page) goes without the filter.
    assert filtered and len(requests) - len(filtered) <= 1, requests
    expected = scalar(site, "SELECT count(*) FROM companies WHERE sector = 'jasa'")
    assert 0 < expected < db_count(site, "companies")
    assert len(re.findall(r"^OGRFeature\(companies\)", out, flags=re.M)) == expected
    assert set(re.findall(r"^  sector \(String\) = (.*)$", out, flags=re.M)) == {"jasa"}


def test_ogrinfo_sends_equality_on_any_scalar_property(site):  # noqa: F811
    nib = scalar(site, "SELECT nib FROM companies ORDER BY id LIMIT 1 OFFSET 3")
    out, err, fetched = gdal_debug(site, "ogrinfo", "-ro", "-al", "-q", "-where",
                                   f"nib = '{nib}' AND status = 'active'", f"OAPIF:{site.base}/api", "companies")
    assert "evaluated on client side" not in err
    assert any(q.get("nib") == [nib] and q.get("status") == ["active"] for q in items_requests(fetched, "companies"))
    assert re.findall(r"^  nib \(String\) = (.*)$", out, flags=re.M) == [nib]


def items_limit_schema(site) -> dict:  # noqa: F811
    """The `limit` parameter of the items operation as the landing page's service-desc document says."""
    landing = httpx.get(f"{site.base}/api/", timeout=30).json()
    desc = next(link["href"] for link in landing["links"] if link["rel"] == "service-desc")
    paths = httpx.get(desc, timeout=30).json()["paths"]
    op = paths.get("/collections/villages/items") or paths["/collections/{collectionId}/items"]
    return next(p for p in op["get"]["parameters"] if p["name"] == "limit")["schema"]


def test_villages_come_in_a_few_large_pages(site, tmp_path):  # noqa: F811
    """GDAL 3.6 asks for pages of 10 (158 requests for the villages) unless told PAGE_SIZE; the
    server's largest page, read from its OpenAPI document, brings them in one or two."""
    schema = items_limit_schema(site)
    assert schema["type"] == "integer" and schema["default"] >= 100 and schema["maximum"] >= 5000
    out = tmp_path / "villages.gpkg"
    _, _, fetched = gdal_debug(site, "ogr2ogr", "-f", "GPKG", "-oo", f"PAGE_SIZE={schema['maximum']}", str(out),
                               f"OAPIF:{site.base}/api", "villages")
    villages = db_count(site, "villages")
    assert len(pyogrio.read_dataframe(out)) == villages
    requests = items_requests(fetched, "villages")
    assert len(requests) <= 1 + -(-villages // schema["maximum"]) + 1, requests


PYOGRIO = r"""
import sys, pyogrio
pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": sys.argv[2], "CPL_DEBUG": "ON"})
frame = pyogrio.read_dataframe("OAPIF:" + sys.argv[1], layer=sys.argv[3], where=sys.argv[4] or None)
print(len(frame), sorted(set(frame[sys.argv[5]])) if len(frame) else [])
"""


def test_a_later_gdal_sends_the_filter_too(site):  # noqa: F811
    """pyogrio's own GDAL (newer than Debian's) reads the same OpenAPI declarations."""
    done = subprocess.run([sys.executable, "-c", PYOGRIO, f"{site.base}/api", site.token("viewer"), "companies",
                           "sector = 'jasa'", "sector"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    fetched = re.findall(r"^HTTP: Fetch\((.*)\)$", done.stderr, flags=re.M)
    assert any(q.get("sector") == ["jasa"] for q in items_requests(fetched, "companies")), fetched
    expected = scalar(site, "SELECT count(*) FROM companies WHERE sector = 'jasa'")
    assert done.stdout.split()[0] == str(expected) and "['jasa']" in done.stdout
