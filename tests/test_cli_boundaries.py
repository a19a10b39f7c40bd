"""`pantau boundaries load` as an operator runs it, against a throwaway database."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg2
import pytest

from geo.settings import PROJECT_ROOT
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # the national boundaries, and `pantau` in subprocesses


def pantau(*args, database_url, input=None, **env_extra):  # noqa: A002 - subprocess's name
    env = {**os.environ, "DATABASE_URL": database_url, **env_extra}
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, input=input)


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


@pytest.fixture(scope="module")
def national_db(server_url):
    """The national layers (no villages), then Kalimantan Tengah's (adds its villages), plus demo data."""
    url = create_database(server_url)
    result = pantau("boundaries", "load", "--set", "indonesia", database_url=url)
    assert result.returncode == 0, result.stderr
    yield url
    drop_database(server_url, dbname_of(url))


def test_national_layers_load(national_db):
    """A national deployment: 514 regencies and 7,284 districts, defects repaired and reported."""
    with psycopg2.connect(national_db) as conn, conn.cursor() as cur:
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


def test_national_deployment_reports_and_maps_cover_the_home_province(national_db, tmp_path):
    """With all of Indonesia loaded, the report and the province map are still of Kalimantan Tengah
    (PANTAU_PROVINCE, default 62): its 14 regencies, not Aceh's nor 514."""
    for args in (("boundaries", "load"), ("demo", "--companies", "60", "--workers", "200", "--today", "2026-09-30")):
        result = pantau(*args, database_url=national_db)
        assert result.returncode == 0, result.stderr
    with psycopg2.connect(national_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT level, count(*) FROM boundaries GROUP BY level")
        assert dict(cur.fetchall()) == {"province": 37, "regency": 514, "district": 7284, "village": 1571}

    pdf = tmp_path / "laporan.pdf"
    result = pantau("report", "--period", "2026-Q3", "--format", "pdf", "--out", str(pdf), database_url=national_db)
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Kotawaringin Barat" in text and "Kota Palangkaraya" in text
    assert "Aceh" not in text and "Kalimantan Selatan" not in text and "Kabupaten Banjar\n" not in text
    html = tmp_path / "laporan.html"
    result = pantau("report", "--period", "2026-Q3", "--format", "html", "--out", str(html), database_url=national_db)
    assert result.returncode == 0, result.stderr
    page = html.read_text()
    assert "Kotawaringin Barat" in page and "Aceh" not in page and "Banjarmasin" not in page

    create_user_cli = pantau("users", "add", "peta.nasional", "--role", "viewer", "--agency", "kemendagri",
                             "--password-stdin", database_url=national_db, input="kata-sandi-nasional-panjang\n")
    assert create_user_cli.returncode == 0, create_user_cli.stderr
    server = LiveServer(national_db)
    try:
        client = httpx.Client(base_url=server.base, timeout=60)
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        assert client.post("/login", data={"username": "peta.nasional", "password": "kata-sandi-nasional-panjang",
                                           "csrf_token": csrf, "next": "/"}).status_code == 303
        page = client.get("/maps/province")
        assert page.status_code == 200 and "Kalimantan Tengah" in page.text
        assert len(page.content) < 400_000, len(page.content)  # not 514 regencies' outlines
        stats_url = json.loads(re.search(r'"statsUrl": ("[^"]+")', page.text).group(1))  # what the page fetches
        regions = client.get(stats_url).json()
        assert len(regions["regions"]) == 14 and all(code.startswith("62.") for code in regions["regions"])
        home = client.get("/")
        assert home.status_code == 200 and "Aceh" not in home.text and "Kotawaringin Timur" in home.text
    finally:
        server.stop()
