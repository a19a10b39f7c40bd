"""The record API: companies, workers, inspections — scope, personal data by role, ETag, audit."""

import httpx
import pytest

pytestmark = pytest.mark.slow  # the seeded server


@pytest.fixture(scope="module")
def client(seeded):
    with httpx.Client(base_url=seeded.server.base, timeout=60) as c:
        yield c


def test_company_detail_has_context_and_etag(client, seeded):
    cid = seeded.company_ids[0]
    r = client.get(f"/api/companies/{cid}", headers=seeded.headers("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "PT Sawit Sampit Lestari"
    assert body["sector_label"] == "Perkebunan kelapa sawit"
    assert body["regency_code"] == "62.02" and body["regency_name"]
    assert body["district_code"].startswith("62.02.") and body["district_name"]
    assert body["declared_location"]["regency"] == "62.02" and body["location_mismatch"] is False
    assert body["permit_status"] == "valid"
    assert body["workers_by_nationality"] == {"CN": 1, "MY": 1} and body["workers_active"] == 2
    assert r.headers["etag"] == f'"{body["version"]}"'
    again = client.get(f"/api/companies/{cid}", headers={**seeded.headers("viewer"), "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_viewer_gets_workers_without_personal_data(client, seeded):
    cid = seeded.company_ids[0]
    r = client.get(f"/api/companies/{cid}/workers", headers=seeded.headers("viewer"))
    assert r.status_code == 200
    workers = r.json()
    assert sorted(w["nationality"] for w in workers) == ["CN", "MY"]
    assert all(w["permit_status"] == "valid" and w["work_site_district_code"].startswith("62.02") for w in workers)
    for secret in seeded.secrets:
        assert secret not in r.text
    for wid in seeded.worker_ids[:2]:
        one = client.get(f"/api/workers/{wid}", headers=seeded.headers("viewer"))
        assert one.status_code == 200 and "full_name" not in one.json()
        assert not any(s in one.text for s in seeded.secrets)


def test_analyst_sees_personal_data_and_the_read_is_audited(client, seeded):
    cid = seeded.company_ids[0]
    headers = seeded.headers("analyst")
    before = seeded.query("SELECT count(*) FROM audit_log WHERE action = 'personal.read' AND username = %s",
                          (seeded.username("analyst"),))[0][0]
    r = client.get(f"/api/companies/{cid}/workers", headers=headers)
    assert r.status_code == 200
    assert sorted(w["passport_number"] for w in r.json()) == ["AMY881002", "EZ9911001"]
    rows = seeded.query("SELECT target, detail FROM audit_log WHERE action = 'personal.read' AND username = %s ORDER BY id",
                        (seeded.username("analyst"),))
    assert len(rows) == before + 1
    assert rows[-1] == (f"company:{cid}/workers", {"workers": 2})
    assert "EZ9911001" not in str(seeded.query("SELECT detail::text FROM audit_log"))


def test_scoped_user_sees_nothing_outside_the_scope(client, seeded):
    headers = seeded.headers("analyst", ["62.02"])
    (inside, *_), (outside,) = seeded.ids_in("62.02"), seeded.ids_in("62.71")
    assert client.get(f"/api/companies/{inside}", headers=headers).status_code == 200
    for path in (f"/api/companies/{outside}", f"/api/companies/{outside}/workers",
                 f"/api/companies/{outside}/inspections", f"/api/workers/{seeded.worker_ids[3]}",
                 f"/api/inspections/{seeded.inspection_ids[2]}"):
        r = client.get(path, headers=headers)
        assert r.status_code == 404, path
        assert "KIM" not in r.text and "Palangka" not in r.text


def test_inspections_listed_newest_first(client, seeded):
    cid = seeded.company_ids[2]
    r = client.get(f"/api/companies/{cid}/inspections", headers=seeded.headers("viewer"))
    assert r.status_code == 200
    (row,) = r.json()
    assert row["id"] == seeded.inspection_ids[2] and row["team"] == ["imigrasi", "kesbangpol"]
    one = client.get(f"/api/inspections/{row['id']}", headers=seeded.headers("viewer"))
    assert one.json()["company_name"] == "PT Jasa Palangka Raya"


@pytest.mark.parametrize("bad", ["0", "-1", "abc", str(2**64), "1%20OR%201=1"])
def test_bad_or_absent_ids_are_client_errors(client, seeded, bad):
    r = client.get(f"/api/companies/{bad}", headers=seeded.headers("viewer"))
    assert 400 <= r.status_code < 500
    assert client.get("/api/companies/999999", headers=seeded.headers("viewer")).status_code == 404
