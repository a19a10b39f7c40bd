"""The import engine behind /imports: a check computes exactly what a commit would do (new, changed,
unchanged, rejected), companies and workers go in together in one transaction, and a commit of a
checked upload writes nothing when the rows it would reject are not those of its check."""

from __future__ import annotations

import json

import psycopg2
import pytest

from geo.imports.service import ImportStale, run_import, run_imports
from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    pantau,
    sample_rows,
)


def _counts(conn) -> dict[str, int]:
    out = {}
    with conn.cursor() as cur:
        for table in ("companies", "foreign_workers", "import_batches", "company_reports", "worker_reports"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            out[table] = cur.fetchone()[0]
    conn.rollback()
    return out


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    return ("\r\n".join(",".join(row) for row in [header, *rows]) + "\r\n").encode()


def _tally(report) -> tuple[int, int, int, list[int]]:
    return report.imported, report.updated, report.unchanged, report.rejected_lines


@pytest.fixture
def conn(fresh_db_url):
    c = psycopg2.connect(fresh_db_url)
    yield c
    c.close()


def test_check_counts_equal_the_commit_counts(conn):
    companies = COMPANIES_CSV.read_bytes()
    empty = _counts(conn)
    check = run_import(conn, "companies", companies, "c.csv", mode="check", source="imigrasi")
    # Before: a check said "baru 0" whatever the file held.
    assert _tally(check) == (VALID_COMPANIES, 0, 0, BAD_COMPANY_LINES)
    assert not check.committed and check.batch_id is None
    assert _counts(conn) == empty  # rolled back, reports included
    commit = run_import(conn, "companies", companies, "c.csv", mode="skip_invalid", source="imigrasi")
    assert _tally(commit) == _tally(check) and commit.committed

    # Two companies changed, one new, the rest as before: the check tells them apart as the commit does.
    header, rows = sample_rows(COMPANIES_CSV)
    good = [r for i, r in enumerate(rows, start=2) if i not in BAD_COMPANY_LINES]
    good[0][header.index("nama_perusahaan")] += " Baru"
    good[1][header.index("kbli")] = "01111"
    extra = list(good[2])
    extra[header.index("nib")] = "8" + extra[header.index("nib")][1:]
    changed = _csv(header, [*good, extra])
    before = _counts(conn)
    check = run_import(conn, "companies", changed, "c2.csv", mode="check", source="imigrasi")
    assert _tally(check) == (1, 2, VALID_COMPANIES - 2, [])
    assert _counts(conn) == before
    commit = run_import(conn, "companies", changed, "c2.csv", mode="all_or_nothing", source="imigrasi")
    assert _tally(commit) == _tally(check) and commit.committed


def test_scoped_check_counts_equal_the_commit_counts(conn):
    data = COMPANIES_CSV.read_bytes()
    check = run_import(conn, "companies", data, "c.csv", mode="check", source="imigrasi", regencies=("62.71",))
    commit = run_import(conn, "companies", data, "c.csv", mode="skip_invalid", source="imigrasi", regencies=("62.71",))
    assert _tally(check) == _tally(commit)
    assert 0 < check.imported < VALID_COMPANIES


def test_companies_and_workers_together(conn):
    parts = [("workers", WORKERS_CSV.read_bytes(), "w.csv"), ("companies", COMPANIES_CSV.read_bytes(), "c.csv")]
    # Alone, the workers' employers are unknown: every row is rejected.
    alone = run_import(conn, "workers", WORKERS_CSV.read_bytes(), "w.csv", mode="check", source="imigrasi")
    assert alone.valid == 0
    check = run_imports(conn, parts, mode="check", source="imigrasi")
    assert [r.kind for r in check] == ["companies", "workers"]
    assert _tally(check[0]) == (VALID_COMPANIES, 0, 0, BAD_COMPANY_LINES)
    assert _tally(check[1]) == (VALID_WORKERS, 0, 0, BAD_WORKER_LINES)
    assert _counts(conn)["companies"] == 0
    # All or nothing with rejected rows: nothing of either file.
    refused = run_imports(conn, parts, mode="all_or_nothing", source="imigrasi")
    assert not any(r.committed for r in refused) and _counts(conn)["companies"] == 0
    commit = run_imports(conn, parts, mode="skip_invalid", source="imigrasi",
                         expect_rejected=[r.rejected_lines for r in check])
    assert [_tally(r) for r in commit] == [_tally(r) for r in check]
    n = _counts(conn)
    assert (n["companies"], n["foreign_workers"], n["import_batches"]) == (VALID_COMPANIES, VALID_WORKERS, 2)
    with conn.cursor() as cur:
        cur.execute("SELECT kind, imported, rejected, report->>'committed' FROM import_batches ORDER BY id")
        assert cur.fetchall() == [("companies", VALID_COMPANIES, len(BAD_COMPANY_LINES), "true"),
                                  ("workers", VALID_WORKERS, len(BAD_WORKER_LINES), "true")]


def test_a_commit_whose_rejections_differ_from_its_check_writes_nothing(conn):
    data = COMPANIES_CSV.read_bytes()
    check = run_import(conn, "companies", data, "c.csv", mode="check", source="imigrasi")
    # Meanwhile the user's scope narrowed: the commit would reject rows the check let through.
    with pytest.raises(ImportStale):
        run_imports(conn, [("companies", data, "c.csv")], mode="skip_invalid", source="imigrasi",
                    regencies=("62.71",), expect_rejected=[check.rejected_lines])
    assert _counts(conn)["companies"] == 0
    done = run_imports(conn, [("companies", data, "c.csv")], mode="skip_invalid", source="imigrasi",
                       expect_rejected=[check.rejected_lines])
    assert done[0].committed and done[0].imported == VALID_COMPANIES


@pytest.mark.slow  # a `pantau` command
def test_cli_check_prints_what_the_commit_does(fresh_db_url, tmp_path):
    out = tmp_path / "r.json"
    checked = pantau("import", "companies", COMPANIES_CSV, "--check", "--report", out, database_url=fresh_db_url)
    report = json.loads(out.read_text())
    assert f"baru {VALID_COMPANIES}," in checked.stdout, checked.stdout
    done = pantau("import", "companies", COMPANIES_CSV, "--skip-invalid", "--report", out, database_url=fresh_db_url)
    committed = json.loads(out.read_text())
    assert done.returncode == 0, done.stderr
    assert [report[k] for k in ("imported", "updated", "unchanged", "valid")] == \
        [committed[k] for k in ("imported", "updated", "unchanged", "valid")]


def test_progress_steps(conn):
    steps = []
    run_imports(conn, [("companies", COMPANIES_CSV.read_bytes(), "c.csv")], mode="check", source="imigrasi",
                progress=lambda kind, stage, rows: steps.append((kind, stage, rows)))
    total = VALID_COMPANIES + len(BAD_COMPANY_LINES)
    assert steps == [("companies", "read", 0), ("companies", "validate", total), ("companies", "locate", total),
                     ("companies", "write", VALID_COMPANIES)]


@pytest.mark.slow  # an import process
def test_the_import_process_reports_its_steps_to_a_file(fresh_db_url, tmp_path):
    from geo.imports.limits import ImportLimits
    from geo.imports.worker import Job, run_many_sync

    progress = tmp_path / "progress.json"
    job = Job(url=fresh_db_url, kind="companies", path=str(COMPANIES_CSV), file_name="c.csv", mode="check",
              source="imigrasi", user="t", regencies=None, limits=ImportLimits.unlimited(), province="62",
              more=(("workers", str(WORKERS_CSV), "w.csv"),), progress_path=str(progress))
    reports = run_many_sync(job)
    assert [r.kind for r in reports] == ["companies", "workers"]
    assert json.loads(progress.read_text()) == {"kind": "workers", "stage": "write", "rows": VALID_WORKERS}
