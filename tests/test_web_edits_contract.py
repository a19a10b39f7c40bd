"""The edit and inspection pages in-process (conftest's `app_client`, the fast tier): who may open
them, content types, and scope: a 62.02 user gets nothing of 62.71, the same answer as for a record
that does not exist. Read-only: the writes are in tests/test_web_edits.py (a server of their own)."""

from __future__ import annotations

import pytest

OTHER_REGENCY = ("Palangka", "PT Jasa", "KIM JISOO", "MK6611004")
ABSENT_ID = 999_999_999


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


def paths(company: int, worker: int, inspection: int) -> list[str]:
    return [f"/companies/{company}/edit", f"/workers/{worker}/edit", f"/inspections/{inspection}/edit",
            f"/companies/{company}/inspections/new"]


def test_writers_get_the_forms_as_html(api):
    headers = api.headers("editor", ["62.02"])
    for path in paths(api.company_ids[0], api.worker_ids[0], api.inspection_ids[0]):
        r = api.client.get(path, headers=headers)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert 'name="csrf_token"' in r.text


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_readers_are_refused(api, role):
    headers = api.headers(role)
    for path in paths(api.company_ids[0], api.worker_ids[0], api.inspection_ids[0]):
        r = api.client.get(path, headers=headers)
        assert r.status_code == 403 and "tidak boleh mengubah data" in r.text, path
    page = api.client.get(f"/companies/{api.company_ids[0]}", headers=headers)
    assert page.status_code == 200 and "/edit" not in page.text and "inspections/new" not in page.text


def test_another_regency_is_absent(api):
    headers = api.headers("editor", ["62.02"])
    other = paths(api.company_ids[2], api.worker_ids[3], api.inspection_ids[2])
    absent = paths(ABSENT_ID, ABSENT_ID, ABSENT_ID)
    for mine, none in zip(other, absent, strict=True):
        r, a = api.client.get(mine, headers=headers), api.client.get(none, headers=headers)
        assert r.status_code == a.status_code == 404, mine
        assert [s for s in OTHER_REGENCY if s in r.text] == []
    r = api.client.get(f"/inspections/{api.inspection_ids[2]}/photos/1", headers=headers)
    assert r.status_code == 404 and "Palangka" not in r.text
