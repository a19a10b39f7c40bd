"""`pantau boundaries load` as an operator runs it, against a throwaway database."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2

from geo.settings import PROJECT_ROOT


def pantau(*args, database_url, **env_extra):
    env = {**os.environ, "DATABASE_URL": database_url, **env_extra}
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)


def test_load_into_empty_database_migrates_and_reports_repairs(empty_db_url):
    result = pantau("boundaries", "load", database_url=empty_db_url)
    assert result.returncode == 0, result.stderr
    assert "village   1571" in result.stdout
    assert "repaired       62.07.03" in result.stdout
    again = pantau("boundaries", "load", database_url=empty_db_url)
    assert again.returncode == 0
    with psycopg2.connect(empty_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT code) FROM boundaries")
        assert cur.fetchone() == (1722, 1722)
        cur.execute("SELECT count(*) FROM boundary_loads")
        assert cur.fetchone()[0] == 2


def test_checksum_mismatch_exits_nonzero_and_changes_nothing(fresh_db_url, kalteng_files, tmp_path):
    source = tmp_path / "kalteng"
    source.mkdir()
    for path in kalteng_files.values():
        shutil.copy(path, source / Path(path).name)
    (source / "districts.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    result = pantau(
        "boundaries", "load", database_url=fresh_db_url,
        PANTAU_BOUNDARIES_SOURCE=str(tmp_path), PANTAU_HOME=str(tmp_path / "home"),
    )
    assert result.returncode == 1
    assert "districts.geojson" in result.stderr and "SHA-256" in result.stderr
    with psycopg2.connect(fresh_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM boundaries WHERE level = 'district'")
        assert cur.fetchone()[0] == 136


def test_unknown_set_is_a_clear_error(fresh_db_url):
    result = pantau("boundaries", "load", "--set", "borneo", database_url=fresh_db_url)
    assert result.returncode == 1
    assert "unknown boundary set 'borneo'" in result.stderr


def test_national_layers_load(empty_db_url):
    """A national deployment: 514 regencies and 7,284 districts, defects repaired and reported."""
    result = pantau("boundaries", "load", "--set", "indonesia", database_url=empty_db_url)
    assert result.returncode == 0, result.stderr
    with psycopg2.connect(empty_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT level, count(*) FROM boundaries GROUP BY level")
        assert dict(cur.fetchall()) == {"province": 37, "regency": 514, "district": 7284}
        cur.execute("SELECT count(*) FROM boundaries WHERE NOT ST_IsValid(geom)")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM boundary_issues WHERE kind = 'repaired'")
        assert cur.fetchone()[0] > 100  # "hundreds nationally" per SOURCE.md
        # Province 63 (Kalimantan Selatan) is absent upstream: its regencies are kept and flagged.
        cur.execute("SELECT count(*) FROM boundary_issues WHERE kind = 'missing_parent' AND code LIKE '63.%'")
        assert cur.fetchone()[0] == 13
        cur.execute("SELECT count(*) FROM boundaries WHERE code LIKE '63.%' AND level = 'regency'")
        assert cur.fetchone()[0] == 13
