"""GDAL's OGC API – Features driver (a client nobody here wrote) reads the collections of issue 17 from
the seeded server: lodgings and activities for a viewer, foreign_nationals for an analyst only."""

from __future__ import annotations

import re
import subprocess

import pyogrio
import pytest

from geo import clock
from geo.features.catalog import CATALOG

pytestmark = pytest.mark.slow  # ogrinfo/ogr2ogr against the seeded server

COUNT_SQL = {
    "lodgings": "SELECT count(*) FROM lodgings",
    "activities": "SELECT count(*) FROM monitoring_activities",
    "foreign_nationals": "SELECT count(*) FROM foreign_nationals_present(%s)",
}


def run(seeded, role: str, *args: str) -> subprocess.CompletedProcess:
    header = f"Authorization: {seeded.headers(role)['Authorization']}"
    return subprocess.run([*args[:1], "--config", "GDAL_HTTP_HEADERS", header, *args[1:]],
                          capture_output=True, text=True, timeout=300)


def db_count(seeded, collection: str) -> int:
    return seeded.query(COUNT_SQL[collection], (clock.today(),))[0][0]


@pytest.mark.parametrize(("collection", "role"), [("lodgings", "viewer"), ("activities", "viewer"),
                                                  ("foreign_nationals", "analyst")])
def test_ogrinfo_reads_count_and_fields(seeded, collection, role):
    done = run(seeded, role, "ogrinfo", "-ro", "-so", f"OAPIF:{seeded.server.base}/api", collection)
    assert done.returncode == 0, done.stderr[-2000:]
    count = int(re.search(r"Feature Count: (\d+)", done.stdout).group(1))
    assert count == db_count(seeded, collection) > 0
    fields = set(re.findall(r"^(\w+): \w+", done.stdout, flags=re.M)) - {"Geometry", "Extent"}
    # Every scalar property; arrays (agencies, target NIBs) become GDAL list fields of the same name.
    assert {c.name for c in CATALOG[collection].columns} - fields <= {"agencies", "target_nibs"}
    if collection == "lodgings":  # a viewer's hidden small counts are nulls: the fields stay integers
        assert re.search(r"^guests_today: Integer", done.stdout, flags=re.M), done.stdout
        assert re.search(r"^guests_30d: Integer", done.stdout, flags=re.M), done.stdout


def test_viewer_cannot_open_foreign_nationals_with_gdal(seeded):
    done = run(seeded, "viewer", "ogrinfo", "-ro", "-so", f"OAPIF:{seeded.server.base}/api", "foreign_nationals")
    assert done.returncode != 0
    assert not any(s in done.stdout + done.stderr for s in seeded.secrets)


def test_ogr2ogr_copies_the_persons_present_with_their_residence(seeded, tmp_path):
    out = tmp_path / "orang_asing.gpkg"
    done = run(seeded, "analyst", "ogr2ogr", "-f", "GPKG", "-oo", "PAGE_SIZE=4", str(out),
               f"OAPIF:{seeded.server.base}/api", "foreign_nationals")
    assert done.returncode == 0, done.stderr[-2000:]
    frame = pyogrio.read_dataframe(out)
    truth = {passport: (x, y) for passport, x, y in seeded.query(
        "SELECT p.passport_number, ST_X(fp.geom), ST_Y(fp.geom) FROM foreign_nationals_present(%s) fp "
        "JOIN foreign_nationals p ON p.id = fp.foreign_national_id", (clock.today(),))}
    assert sorted(frame["passport_number"]) == sorted(truth)
    for row in frame.itertuples():
        x, y = truth[row.passport_number]
        assert abs(row.geometry.x - x) < 1e-6 and abs(row.geometry.y - y) < 1e-6


def test_ogrinfo_sends_an_attribute_filter_on_lodgings(seeded):
    done = run(seeded, "viewer", "ogrinfo", "-ro", "-al", "-q", "-where", "regency_code = '62.02'",
               f"OAPIF:{seeded.server.base}/api", "lodgings")
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.findall(r"^  name \(String\) = (.*)$", done.stdout, flags=re.M) == ["Losmen Mentaya Seed"]
