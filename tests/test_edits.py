"""Edits with optimistic locking: If-Match / body version, stale refusals leaving the row unchanged,
scope before and after a move, strict bodies, and the audit record of every write."""

import json

import httpx
import pytest

from tests.seed import seed

pytestmark = pytest.mark.slow  # a server of its own (writes)


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


@pytest.fixture(scope="module")
def client(data):
    with httpx.Client(base_url=data.server.base, timeout=60) as c:
        yield c


def company_row(data, cid):
    return data.query("SELECT name, version, regency_code, ST_AsText(geom) FROM companies WHERE id = %s", (cid,))[0]


def audits(data, action, target):
    return data.query("SELECT username, outcome, detail FROM audit_log WHERE action = %s AND target = %s ORDER BY id",
                      (action, target))


def test_patch_with_if_match_updates_and_returns_new_etag_and_audits(client, data):
    cid = data.company_ids[1]
    headers = data.headers("editor")
    tag = client.get(f"/api/companies/{cid}", headers=headers).headers["etag"]
    r = client.patch(f"/api/companies/{cid}", json={"name": "PT Mentaya Olah Sawit Baru"},
                     headers={**headers, "If-Match": tag})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "PT Mentaya Olah Sawit Baru"
    assert r.headers["etag"] == f'"{int(tag.strip(chr(34))) + 1}"'
    assert company_row(data, cid)[:2] == ("PT Mentaya Olah Sawit Baru", int(tag.strip('"')) + 1)
    (user, outcome, detail), = audits(data, "company.update", f"company:{cid}")
    assert (user, outcome) == (data.username("editor"), "ok")
    assert detail["changed"] == ["name"] and detail["before"] == {"name": "PT Mentaya Olah Sawit"}
    assert detail["after"] == {"name": "PT Mentaya Olah Sawit Baru"}


def test_stale_if_match_is_412_and_row_unchanged(client, data):
    cid = data.company_ids[0]
    headers = data.headers("editor")
    before = company_row(data, cid)
    stale = f'"{before[1] + 5}"'
    r = client.patch(f"/api/companies/{cid}", json={"name": "Ditimpa"}, headers={**headers, "If-Match": stale})
    assert r.status_code == 412 and "version" in r.json()["description"]
    assert company_row(data, cid) == before


def test_concurrent_writers_second_one_loses(client, data):
    cid = data.company_ids[0]
    headers = data.headers("editor")
    tag = client.get(f"/api/companies/{cid}", headers=headers).headers["etag"]
    first = client.patch(f"/api/companies/{cid}", json={"address": "Jl. Tjilik Riwut km 5"}, headers={**headers, "If-Match": tag})
    second = client.patch(f"/api/companies/{cid}", json={"address": "Jl. Lain"}, headers={**headers, "If-Match": tag})
    assert (first.status_code, second.status_code) == (200, 412)
    assert client.get(f"/api/companies/{cid}", headers=headers).json()["address"] == "Jl. Tjilik Riwut km 5"


def test_body_version_stale_or_conflicting_is_409_missing_is_428(client, data):
    cid = data.company_ids[0]
    headers = data.headers("editor")
    before = company_row(data, cid)
    assert client.patch(f"/api/companies/{cid}", json={"name": "X"}, headers=headers).status_code == 428
    assert client.patch(f"/api/companies/{cid}", json={"name": "X", "version": before[1] - 1 or 99},
                        headers=headers).status_code == 409
    mismatch = client.patch(f"/api/companies/{cid}", json={"name": "X", "version": before[1]},
                            headers={**headers, "If-Match": f'"{before[1] + 1}"'})
    assert mismatch.status_code == 409
    assert company_row(data, cid) == before
    ok = client.patch(f"/api/companies/{cid}", json={"kbli": "01262", "version": before[1]}, headers=headers)
    assert ok.status_code == 200 and ok.json()["kbli"] == "01262"


@pytest.mark.parametrize("body", [
    {"name": "X", "owner": "me"}, {"nib": "12"}, {"sector": "'; DROP TABLE companies; --"},
    {"location": {"lon": 200, "lat": 0}}, {"status": "deleted"}, {"name": None}, {"rptka_valid_until": "kemarin"},
    {"sector": "tidak_ada"}, {"location": {"lon": 106.8, "lat": -6.2}},
])
def test_bad_bodies_are_client_errors_and_change_nothing(client, data, body):
    cid = data.company_ids[0]
    before = company_row(data, cid)
    r = client.patch(f"/api/companies/{cid}", json=body, headers={**data.headers("editor"), "If-Match": f'"{before[1]}"'})
    assert r.status_code in (400, 422), r.text
    assert company_row(data, cid) == before
    assert data.query("SELECT count(*) FROM companies")[0][0] == 3


def test_viewer_and_analyst_may_not_edit(client, data):
    cid = data.company_ids[0]
    for role in ("viewer", "analyst"):
        r = client.patch(f"/api/companies/{cid}", json={"name": "X"}, headers={**data.headers(role), "If-Match": '"1"'})
        assert r.status_code == 403
    assert client.patch(f"/api/companies/{cid}", json={"name": "X"}, headers={"If-Match": '"1"'}).status_code == 401


def test_scoped_editor_cannot_edit_or_move_outside_scope(client, data):
    headers = data.headers("editor", ["62.02"])
    (outside,) = data.ids_in("62.71")
    before = company_row(data, outside)
    r = client.patch(f"/api/companies/{outside}", json={"name": "Diambil"}, headers={**headers, "If-Match": f'"{before[1]}"'})
    assert r.status_code == 404 and company_row(data, outside) == before
    inside = data.ids_in("62.02")[0]
    mine = company_row(data, inside)
    move = client.patch(f"/api/companies/{inside}", json={"location": {"lon": 113.92, "lat": -2.21}},
                        headers={**headers, "If-Match": f'"{mine[1]}"'})
    assert move.status_code == 403 and "62.71" in move.json()["description"]
    assert company_row(data, inside) == mine
    (_, outcome, detail), = audits(data, "company.update", f"company:{inside}")[-1:]
    assert outcome == "denied" and detail["reason"] == "out_of_scope"
    # a worker cannot be handed to a company outside the scope either: it reads as a missing company
    wid = data.worker_ids[0]
    v = data.query("SELECT version FROM foreign_workers WHERE id = %s", (wid,))[0][0]
    r = client.patch(f"/api/workers/{wid}", json={"company_id": outside}, headers={**headers, "If-Match": f'"{v}"'})
    assert r.status_code == 400 and r.json()["description"] == f"company_id: company {outside} does not exist"
    assert data.query("SELECT company_id, version FROM foreign_workers WHERE id = %s", (wid,))[0] == (inside, v)


def test_provincial_editor_moves_a_company_and_regency_is_recomputed(client, data):
    cid = data.company_ids[2]
    headers = data.headers("admin")
    v = company_row(data, cid)[1]
    r = client.patch(f"/api/companies/{cid}", json={"location": {"lon": 112.955, "lat": -2.545}},
                     headers={**headers, "If-Match": f'"{v}"'})
    assert r.status_code == 200 and r.json()["regency_code"] == "62.02"
    assert r.json()["location_mismatch"] is True  # declared 62.71 at seeding
    back = client.patch(f"/api/companies/{cid}", json={"location": {"lon": 113.92, "lat": -2.21}},
                        headers={**headers, "If-Match": r.headers["etag"]})
    assert back.status_code == 200 and back.json()["regency_code"] == "62.71"


def test_worker_edit_masks_personal_data_in_audit_and_errors(client, data):
    wid = data.worker_ids[1]
    headers = data.headers("editor")
    v = data.query("SELECT version FROM foreign_workers WHERE id = %s", (wid,))[0][0]
    r = client.patch(f"/api/workers/{wid}", json={"passport_number": "AMY881099", "position": "Kepala kebun"},
                     headers={**headers, "If-Match": f'"{v}"'})
    assert r.status_code == 200, r.text
    assert r.json()["passport_number"] == "AMY881099" and r.headers["etag"] == f'"{v + 1}"'
    (_, _, detail), = audits(data, "worker.update", f"worker:{wid}")
    assert detail["changed"] == ["passport_number", "position"]
    assert detail["before"]["passport_number"] == "***" and detail["after"]["passport_number"] == "***"
    assert detail["after"]["position"] == "Kepala kebun"
    everything = json.dumps(data.query("SELECT detail FROM audit_log"))
    assert "AMY881099" not in everything and "AMY881002" not in everything
    # a duplicate passport is a 409 that does not echo the personal value
    dup = client.patch(f"/api/workers/{wid}", json={"passport_number": "EZ9911001", "nationality": "CN"},
                       headers={**headers, "If-Match": f'"{v + 1}"'})
    assert dup.status_code == 409 and "EZ9911001" not in dup.text


def test_inspection_put_replaces_and_patch_sorts_team(client, data):
    iid = data.inspection_ids[0]
    headers = data.headers("editor")
    v = data.query("SELECT version FROM inspections WHERE id = %s", (iid,))[0][0]
    body = {"company_id": data.company_ids[0], "inspected_on": "2025-03-01", "team": ["polda", "imigrasi", "polda"],
            "finding": "expired_permit", "status": "in_progress", "follow_up": "pemanggilan"}
    r = client.put(f"/api/inspections/{iid}", json=body, headers={**headers, "If-Match": f'"{v}"'})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["team"] == ["imigrasi", "polda"] and got["notes"] is None and got["follow_up"] == "pemanggilan"
    bad = client.patch(f"/api/inspections/{iid}", json={"team": ["bukan_instansi"]},
                       headers={**headers, "If-Match": r.headers["etag"]})
    assert bad.status_code == 400 and "bukan_instansi" in bad.json()["description"]
    assert len(audits(data, "inspection.update", f"inspection:{iid}")) == 1
