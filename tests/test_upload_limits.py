"""Uploads that once exhausted the server (issue #14 item 3), against a real server: each is refused
with a 413 naming the limit, quickly, while the server keeps answering; a timed-out import leaves
nothing written and no database session behind; too many imports at once answer 503."""

from __future__ import annotations

import statistics
import threading
import time
import uuid

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.importutil import COMPANIES_CSV, VALID_COMPANIES, pantau
from tests.upload_attacks import COMPANY_HEADER, one_line_csv, wide_csv, xlsx_bomb

pytestmark = pytest.mark.slow  # servers of its own, one per set of limits

WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('pantau.import.write'))"  # geo/imports/store.py


class Site:
    """A server on a database of its own, with an editor's headers."""

    def __init__(self, server_url: str, template_db: str, env: dict[str, str] | None = None) -> None:
        self.server_url = server_url
        self.url = create_database(server_url, template=template_db)
        self.server = LiveServer(self.url, extra_env=env)
        name, password = f"editor-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        with psycopg2.connect(self.url) as conn:
            create_user(conn, name, password, "editor", "kesbangpol", None)
        conn.close()
        r = httpx.post(f"{self.server.base}/api/auth/token", data={"username": name, "password": password})
        r.raise_for_status()
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def upload(self, data: bytes, name: str = "c.csv", timeout: float = 120, **form) -> httpx.Response:
        return httpx.post(f"{self.server.base}/api/imports/companies", headers=self.headers, timeout=timeout,
                          files={"file": (name, data, "application/octet-stream")}, data=form)

    def one(self, sql: str):
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(sql)
            value = cur.fetchone()[0]
        conn.close()
        return value

    def import_sessions(self) -> int:
        return self.one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pantau-import' "
                        "AND datname = current_database()")

    def close(self) -> None:
        self.server.stop()
        drop_database(self.server_url, dbname_of(self.url))


@pytest.fixture(scope="module")
def site(server_url, template_db):
    s = Site(server_url, template_db)
    yield s
    s.close()


def assert_limit(r: httpx.Response, setting: str) -> None:
    assert r.status_code == 413, r.text[:300]
    body = r.json()
    assert body["limit"] == setting
    assert setting in body["description"] and "(" in body["description"]  # Indonesian (English; setting)


def test_a_million_columns_is_refused_at_once(site):
    started = time.monotonic()
    r = site.upload(wide_csv(), mode="check", timeout=60)
    assert_limit(r, "PANTAU_IMPORT_MAX_LINE_KB")
    assert time.monotonic() - started < 15
    assert site.import_sessions() == 0


def test_too_many_columns_on_a_short_line(site):
    header = COMPANY_HEADER + "".join(f",x{i}" for i in range(1000))  # ~7 KB: within the line limit
    r = site.upload((header + "\n" + "," * 1010 + "\n").encode(), mode="check")
    assert_limit(r, "PANTAU_IMPORT_MAX_COLUMNS")
    assert "1010 kolom" in r.json()["description"]


def test_40_mb_on_one_line_is_413_not_500(site):
    r = site.upload(one_line_csv(40), mode="check")
    assert_limit(r, "PANTAU_IMPORT_MAX_LINE_KB")


def test_xlsx_zip_bomb_is_refused_before_it_is_inflated(site):
    started = time.monotonic()
    r = site.upload(xlsx_bomb(1500), "bomb.xlsx")
    assert_limit(r, "PANTAU_IMPORT_MAX_XLSX_MB")
    assert time.monotonic() - started < 15
    assert site.one("SELECT count(*) FROM companies") == 0


def test_xlsx_compressed_like_a_bomb_is_refused_below_the_size_limit(site):
    r = site.upload(xlsx_bomb(100), "small-bomb.xlsx")  # 100 MB inflated, < 200 MB, but 1000:1
    assert_limit(r, "PANTAU_IMPORT_MAX_XLSX_RATIO")


def test_an_ordinary_file_still_imports(site):
    r = site.upload(COMPANIES_CSV.read_bytes(), mode="skip_invalid")
    assert r.status_code == 200, r.text[:300]
    assert r.json()["imported"] == VALID_COMPANIES
    assert site.import_sessions() == 0


def test_nul_in_a_cell_is_a_clear_rejection(site):
    data = (COMPANY_HEADER + "\n9120000000002,PT Nol\x00,jasa,02420,,,,-2.2,113.9,2027-01-01\n").encode()
    r = site.upload(data, mode="check")
    assert r.status_code == 422, r.text[:300]
    assert "NUL" in r.json()["rejected"][0]["reason"]


@pytest.fixture(scope="module")
def tight(server_url, template_db):
    s = Site(server_url, template_db, {"PANTAU_IMPORT_MAX_CELLS": "300", "PANTAU_IMPORT_TIMEOUT_S": "10",
                                       "PANTAU_IMPORT_CONCURRENCY": "1", "PANTAU_IMPORT_QUEUE_S": "1",
                                       "PANTAU_IMPORT_MEMORY_MB": "256"})
    yield s
    s.close()


SMALL = (COMPANY_HEADER + "\n9120000000003,PT Waktu,jasa,02420,,,,-2.2,113.9,2027-01-01\n").encode()


class WriteLock:
    """Holds the import write lock (geo/imports/store.py), so a writing import waits inside its
    transaction for as long as the test wants."""

    def __init__(self, site: Site) -> None:
        self.conn = psycopg2.connect(site.url)
        with self.conn.cursor() as cur:
            cur.execute(WRITE_LOCK)

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


def _waiting_import(site: Site) -> tuple[threading.Thread, dict]:
    answer: dict = {}
    thread = threading.Thread(target=lambda: answer.update(r=site.upload(SMALL, timeout=40)))
    thread.start()
    deadline = time.monotonic() + 20
    while site.import_sessions() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert site.import_sessions() == 1  # the import has its session and waits for the lock
    return thread, answer


def test_cell_limit_comes_from_the_settings(tight):
    # The sample file has 34 rows x 10 columns.
    assert_limit(tight.upload(COMPANIES_CSV.read_bytes(), mode="check"), "PANTAU_IMPORT_MAX_CELLS")


def test_a_timed_out_import_is_rolled_back_and_releases_its_session(tight):
    failed = tight.one("SELECT count(*) FROM audit_log WHERE action = 'import.companies' AND outcome = 'failed'")
    lock = WriteLock(tight)
    try:
        thread, answer = _waiting_import(tight)
        thread.join(60)
        assert_limit(answer["r"], "PANTAU_IMPORT_TIMEOUT_S")
        deadline = time.monotonic() + 10
        while tight.import_sessions() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tight.import_sessions() == 0  # gone although the lock it waited for is still held
    finally:
        lock.release()
    assert tight.one("SELECT count(*) FROM companies") == 0
    assert tight.one("SELECT count(*) FROM import_batches") == 0
    assert tight.one("SELECT count(*) FROM audit_log WHERE action = 'import.companies' "
                     "AND outcome = 'failed'") == failed + 1


def test_too_many_imports_at_once_answer_503_with_retry_after(tight):
    lock = WriteLock(tight)
    try:
        thread, answer = _waiting_import(tight)
        second = tight.upload(SMALL, timeout=20)
        assert second.status_code == 503, second.text[:200]
        assert int(second.headers["Retry-After"]) > 0
        assert "PANTAU_IMPORT_CONCURRENCY" in second.json()["detail"]
    finally:
        lock.release()
    thread.join(60)
    assert answer["r"].status_code == 200, answer["r"].text[:200]
    assert tight.one("SELECT count(*) FROM companies") == 1


def test_a_heavy_file_runs_outside_the_server_within_its_memory(server_url, template_db):
    """100,000 rows of 200 empty cells (20 MB, within the cell limit here) need more than 256 MB to
    parse: refused by the import process's memory cap, while /api/health keeps answering quickly."""
    data = (COMPANY_HEADER + "," * 190 + "\n" + ("," * 199 + "\n") * 100_000).encode()
    heavy = Site(server_url, template_db, {"PANTAU_IMPORT_MAX_CELLS": str(10**9), "PANTAU_IMPORT_MEMORY_MB": "256",
                                           "PANTAU_IMPORT_TIMEOUT_S": "120"})
    try:
        answer: dict = {}
        upload = threading.Thread(target=lambda: answer.update(r=heavy.upload(data, mode="check")))
        upload.start()
        latencies = []
        with httpx.Client(base_url=heavy.server.base, timeout=30) as client:
            while upload.is_alive():
                started = time.perf_counter()
                client.get("/api/health")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.1)
        upload.join()
        assert_limit(answer["r"], "PANTAU_IMPORT_MEMORY_MB")
        assert statistics.median(latencies) < 0.25 and max(latencies) < 2, latencies
    finally:
        heavy.close()


def test_cli_enforces_the_same_limits_and_an_operator_can_lift_them(site, tmp_path, monkeypatch):
    wide = tmp_path / "wide.csv"
    wide.write_bytes(wide_csv(20_000))
    refused = pantau("import", "companies", wide, "--check", database_url=site.url)
    assert refused.returncode == 1
    assert "PANTAU_IMPORT_MAX_LINE_KB" in refused.stderr and "--no-limits" in refused.stderr
    lifted = pantau("import", "companies", wide, "--check", "--no-limits", database_url=site.url)
    assert lifted.returncode == 0, lifted.stderr
    assert "0 baris diperiksa" in lifted.stdout

    monkeypatch.setenv("PANTAU_IMPORT_MAX_CELLS", "100")
    small = pantau("import", "companies", COMPANIES_CSV, "--check", database_url=site.url)
    assert small.returncode == 1 and "PANTAU_IMPORT_MAX_CELLS" in small.stderr
