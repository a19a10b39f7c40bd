"""Loading the real Kalimantan Tengah boundaries: counts, repairs, hierarchy, atomic replacement."""

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest

from geo.boundaries import BoundaryLoadError, ChecksumMismatch, fetch_set, load_set
from geo.boundaries.source import sha256_of

pytestmark = pytest.mark.slow  # boundaries loaded again into databases of its own

# Invalid polygons in the source, per ../shared/boundaries/SOURCE.md (2 regencies, 3 districts)
# plus the province outline and one village that share the same defects.
REPAIRED = {"62", "62.02", "62.06", "62.02.09", "62.06.10", "62.07.03", "62.13.02.2007"}


def counts(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT level, count(*), count(DISTINCT code) FROM boundaries GROUP BY level")
        return {level: (n, distinct) for level, n, distinct in cur.fetchall()}


def fingerprint(url):
    """A hash over every code, name and geometry: equal only if nothing changed."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT string_agg(code || name || md5(ST_AsBinary(geom)), ',' ORDER BY code) FROM boundaries")
        return hashlib.sha256(cur.fetchone()[0].encode()).hexdigest()


def test_exact_counts_per_level(db_url):
    assert counts(db_url) == {
        "province": (1, 1), "regency": (14, 14), "district": (136, 136), "village": (1571, 1571)
    }


def test_every_geometry_is_a_valid_multipolygon_in_4326_with_a_label_inside(conn):
    with conn.cursor() as cur:
        cur.execute(
            """SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom)),
                      count(*) FILTER (WHERE GeometryType(geom) <> 'MULTIPOLYGON' OR ST_SRID(geom) <> 4326),
                      count(*) FILTER (WHERE NOT ST_Intersects(geom, label_point)),
                      count(*) FILTER (WHERE area_km2 <= 0)
                 FROM boundaries"""
        )
        assert cur.fetchone() == (0, 0, 0, 0)


def test_invalid_polygons_are_repaired_and_reported_by_code(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT code, detail FROM boundary_issues WHERE kind = 'repaired'")
        rows = dict(cur.fetchall())
    assert set(rows) == REPAIRED
    assert "Nested shells" in rows["62.02"]
    assert "Self-intersection" in rows["62.07.03"]


def test_hierarchy_is_complete_and_consistent(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT kind, count(*) FROM boundary_issues WHERE kind IN ('missing_parent', 'outside_parent') GROUP BY kind")
        assert cur.fetchall() == []
        cur.execute(
            """SELECT c.level, count(*) FROM boundaries c JOIN boundaries p ON p.code = c.parent_code
                GROUP BY c.level ORDER BY c.level"""
        )
        assert dict(cur.fetchall()) == {"regency": 14, "district": 136, "village": 1571}
        cur.execute("SELECT name FROM boundaries WHERE code = '62.71'")
        assert cur.fetchone()[0] == "Kota Palangkaraya"  # as spelled upstream


def test_reload_replaces_without_duplicates(fresh_db_url, manifest, kalteng_files):
    before = fingerprint(fresh_db_url)
    conn = psycopg2.connect(fresh_db_url)
    try:
        report = load_set(conn, manifest.layer_set("kalteng"), kalteng_files, "again")
    finally:
        conn.close()
    assert report.counts == {"province": 1, "regency": 14, "district": 136, "village": 1571}
    assert {i.code for i in report.of_kind("repaired")} == REPAIRED
    assert counts(fresh_db_url)["district"] == (136, 136)
    assert fingerprint(fresh_db_url) == before


def test_truncated_file_rolls_back_and_keeps_previous_boundaries(fresh_db_url, manifest, kalteng_files, tmp_path):
    before = fingerprint(fresh_db_url)
    broken = dict(kalteng_files)
    broken["district"] = tmp_path / "districts.geojson"
    data = Path(kalteng_files["district"]).read_bytes()
    broken["district"].write_bytes(data[: len(data) // 2])
    conn = psycopg2.connect(fresh_db_url)
    try:
        with pytest.raises(BoundaryLoadError, match="districts.geojson: not valid GeoJSON"):
            load_set(conn, manifest.layer_set("kalteng"), broken, "broken")
    finally:
        conn.close()
    assert fingerprint(fresh_db_url) == before
    with psycopg2.connect(fresh_db_url) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM boundary_loads")
        assert cur.fetchone()[0] == 1  # only the template's load was recorded


def test_feature_without_geometry_is_an_error_not_a_silent_drop(fresh_db_url, manifest, kalteng_files, tmp_path):
    import json

    data = json.loads(Path(kalteng_files["regency"]).read_text())
    data["features"][3]["geometry"] = None
    broken = dict(kalteng_files, regency=tmp_path / "regencies.geojson")
    broken["regency"].write_text(json.dumps(data))
    conn = psycopg2.connect(fresh_db_url)
    try:
        with pytest.raises(BoundaryLoadError, match=r"feature #4 \(62.04\): geometry missing"):
            load_set(conn, manifest.layer_set("kalteng"), broken, "broken")
    finally:
        conn.close()
    assert counts(fresh_db_url)["regency"] == (14, 14)


def test_checksum_mismatch_is_refused(manifest, kalteng_files, tmp_path):
    source = tmp_path / "mirror"
    (source / "kalteng").mkdir(parents=True)
    for path in kalteng_files.values():
        shutil.copy(path, source / "kalteng" / Path(path).name)
    with (source / "kalteng" / "regencies.geojson").open("a") as fh:
        fh.write("\n")
    with pytest.raises(ChecksumMismatch, match="regencies.geojson .* has SHA-256"):
        fetch_set(manifest, manifest.layer_set("kalteng"), tmp_path / "cache", str(source))
    assert not (tmp_path / "cache" / "kalteng" / "regencies.geojson").exists()


def test_fetch_copies_and_verifies_from_a_configured_folder(manifest, kalteng_files, tmp_path):
    source = tmp_path / "elsewhere"
    source.mkdir()
    for path in kalteng_files.values():  # a flat folder works too
        shutil.copy(path, source / Path(path).name)
    used, files = fetch_set(manifest, manifest.layer_set("kalteng"), tmp_path / "cache", str(source))
    assert used == str(source)
    for layer in manifest.layer_set("kalteng").layers:
        assert sha256_of(files[layer.level]) == layer.sha256


def test_manifest_records_licence_and_checksums(manifest):
    assert manifest.licence == "MIT"
    assert "Cahya DSN" in manifest.attribution
    for layer_set in manifest.sets.values():
        for layer in layer_set.layers:
            assert len(layer.sha256) == 64 and layer.features > 0


def test_feature_count_must_match_the_manifest(fresh_db_url, manifest, kalteng_files):
    layer_set = manifest.layer_set("kalteng")
    wrong = replace(layer_set, layers=tuple(
        replace(layer, features=15) if layer.level == "regency" else layer for layer in layer_set.layers
    ))
    conn = psycopg2.connect(fresh_db_url)
    try:
        with pytest.raises(BoundaryLoadError, match="14 features, manifest says 15"):
            load_set(conn, wrong, kalteng_files, "x")
    finally:
        conn.close()
