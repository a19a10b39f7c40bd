"""/imports, /imports/history, /agency and /imports/progress in-process (conftest's `app_client`, the
known data of tests/seed.py): status and content type per role, and nothing of 62.71 for a 62.02 user.
Read-only: the writing paths run against servers of their own (tests/test_web_imports.py)."""

from __future__ import annotations

import pytest

OTHER_REGENCY = ("62.71", "Palangka", "PT Jasa", "KIM JISOO", "MK6611004")


@pytest.fixture(scope="module")
def client(app_client):
    return app_client.client


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_roles_that_may_not_import_get_403_pages(app_client, client, role):
    headers = app_client.headers(role, ["62.02"])
    for path in ("/imports", "/imports/history", "/imports/batches/1/rejected.csv",
                 "/imports/u/" + "a" * 43, "/imports/u/" + "a" * 43 + "/rejected.csv"):
        r = client.get(path, headers=headers)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), path
    assert client.get("/imports/progress/" + "a" * 32, headers=headers).status_code == 403


def test_editor_pages(app_client, client):
    headers = app_client.headers("editor", ["62.02"])
    page = client.get("/imports", headers=headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'name="kind"' in page.text and 'name="workers_file"' in page.text
    assert client.get("/imports/history", headers=headers).status_code == 200
    # Absent, another user's or expired: the same 404.
    assert client.get("/imports/u/" + "b" * 43, headers=headers).status_code == 404
    assert client.get("/imports/batches/999999999/rejected.csv", headers=headers).status_code == 404
    assert client.get("/imports/u/short", headers=headers).status_code == 400  # not an upload id
    progress = client.get("/imports/progress/" + "c" * 32, headers=headers)
    assert progress.status_code == 200 and progress.json() == {}


@pytest.mark.parametrize("role", ["viewer", "analyst", "editor"])
def test_agency_view_holds_nothing_of_another_regency(app_client, client, role):
    r = client.get("/agency", headers=app_client.headers(role, ["62.02"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'data-count="differing"' in r.text
    body = r.text.split("<main", 1)[1]
    assert not [s for s in OTHER_REGENCY if s in body]
