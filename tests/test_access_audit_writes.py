"""Every write, import, export and report leaves an audit record naming who did it."""

import httpx
import pytest

from tests.access_probe import current_quarter
from tests.importutil import COMPANIES_CSV
from tests.seed import seed

pytestmark = pytest.mark.slow  # a server of its own (writes), reports built for real


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


@pytest.fixture(scope="module")
def client(data):
    with httpx.Client(base_url=data.server.base, timeout=300) as c:
        yield c


def last_audit(data, username):
    rows = data.query("SELECT action, outcome, target, detail FROM audit_log WHERE username = %s ORDER BY id DESC LIMIT 1",
                      (username,))
    return rows[0] if rows else None


def test_import_is_audited(client, data):
    headers, user = data.headers("editor"), data.username("editor")
    lines = COMPANIES_CSV.read_text(encoding="utf-8-sig").splitlines()[:3]
    r = client.post("/api/imports/companies", headers=headers, data={"mode": "all_or_nothing"},
                    files={"file": ("perusahaan.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})
    assert r.status_code < 500, r.text
    action, outcome, target, detail = last_audit(data, user)
    assert action == "import.companies" and target.startswith("import_batch:") and detail["rows"] == 2


@pytest.mark.parametrize("kind", ["companies", "workers", "inspections"])
def test_every_export_is_audited(client, data, kind):
    headers, user = data.headers("viewer"), data.username("viewer")
    r = client.get(f"/api/exports/{kind}", params={"format": "csv"}, headers=headers)
    assert r.status_code == 200
    action, outcome, target, detail = last_audit(data, user)
    assert (action, outcome, target) == (f"export.{kind}", "ok", f"export:{kind}")
    assert detail["format"] == "csv"


def test_personal_export_is_audited_as_such(client, data):
    headers, user = data.headers("analyst"), data.username("analyst")
    r = client.get("/api/exports/workers", params={"format": "xlsx"}, headers=headers)
    assert r.status_code == 200
    action, _, _, detail = last_audit(data, user)
    assert action == "personal.export" and detail["rows"] == 4


def test_report_is_audited(client, data):
    headers, user = data.headers("viewer", ["62.02"]), data.username("viewer", ["62.02"])
    r = client.get("/api/reports", params={"period": current_quarter(), "format": "html"}, headers=headers)
    assert r.status_code == 200, r.text[:300]
    action, outcome, target, detail = last_audit(data, user)
    assert (action, outcome, target) == ("report.export", "ok", current_quarter())
    assert detail["format"] == "html"


def test_edit_and_token_writes_are_audited(client, data):
    headers, user = data.headers("admin"), data.username("admin")
    cid = data.company_ids[0]
    tag = client.get(f"/api/companies/{cid}", headers=headers).headers["etag"]
    assert client.patch(f"/api/companies/{cid}", json={"status": "inactive"}, headers={**headers, "If-Match": tag}).status_code == 200
    assert last_audit(data, user)[:3] == ("company.update", "ok", f"company:{cid}")
    token = client.post("/api/auth/api-tokens", json={"name": "uji"}, headers=headers).json()
    assert last_audit(data, user)[0] == "api_token.create"
    assert client.delete(f"/api/auth/api-tokens/{token['id']}", headers=headers).status_code == 204
    assert last_audit(data, user)[0] == "api_token.revoke"
