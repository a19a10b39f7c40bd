"""geo.meetings.store against a real database: access rules, locking, history (no server)."""

from __future__ import annotations

from datetime import date

import psycopg2
import pytest

from api.security import Principal
from geo.meetings import store
from geo.meetings.files import Upload
from tests.seed import fill

TODAY = date(2026, 12, 6)


def P(role="editor", agency="kesbangpol", regencies=None):  # noqa: N802 - short for the tests
    return Principal(f"{agency}-{role}", role, agency, tuple(regencies) if regencies else None)


@pytest.fixture
def db(fresh_db_url):
    companies, _, _ = fill(fresh_db_url)
    conn = psycopg2.connect(fresh_db_url)
    yield conn, companies
    conn.close()


def _meeting(conn, agencies=("disnakertrans", "imigrasi")):
    return store.create_meeting(conn, P(), held_on=date(2026, 11, 20), place="Aula Kesbangpol",
                                period="2026-Q4", agencies=list(agencies), minutes="Rapat dibuka.")


def test_cycle_rules_and_history(db):
    conn, companies = db
    mid = _meeting(conn)
    r1 = store.create_recommendation(conn, P(), mid, text="Periksa izin TKA", agency="disnakertrans",
                                     due_date=date(2026, 12, 1), regions=[], company_ids=[companies[0]])
    r2 = store.create_recommendation(conn, P(), mid, text="Patroli Tim PORA", agency="imigrasi",
                                     due_date=date(2027, 1, 31), regions=["62.71"], company_ids=[])
    recs = store.list_recommendations(conn, P("viewer", "polda"), mid, TODAY)
    assert recs is None  # polda neither attended nor holds one
    recs = {r["id"]: r for r in store.list_recommendations(conn, P("editor", "imigrasi"), mid, TODAY)}
    assert recs[r1]["regions"] == ["62.02"] and recs[r1]["overdue"] and not recs[r2]["overdue"]
    assert recs[r1]["can_update"] is False and recs[r2]["can_update"] is True
    with pytest.raises(store.NotAllowed):
        store.update_recommendation(conn, P("editor", "imigrasi"), r1, store.Update("diproses", "x"), 1)
    with pytest.raises(store.NotAllowed):
        store.update_recommendation(conn, P("analyst", "disnakertrans"), r1, store.Update("diproses", "x"), 1)
    v = store.update_recommendation(conn, P("editor", "disnakertrans"), r1, store.Update("diproses", "Surat dikirim",
                                    (Upload("a.pdf", "application/pdf", b"%PDF-1.4 x"),)), 1)
    assert v == 2
    with pytest.raises(store.StaleVersion):
        store.update_recommendation(conn, P("editor", "disnakertrans"), r1, store.Update("selesai"), 1)
    rec = store.get_recommendation(conn, P("analyst", "disnakertrans"), r1, TODAY)
    assert [h["status_to"] for h in rec["history"]] == ["diproses", "baru"]
    assert rec["history"][0]["evidence"][0]["name"] == "a.pdf"
    # a regency-scoped user of 62.71 sees r2 only, and not the 62.02 company
    scoped = store.list_recommendations(conn, P("editor", "imigrasi", ["62.71"]), mid, TODAY)
    assert [r["id"] for r in scoped] == [r2]
    assert store.get_recommendation(conn, P("editor", "disnakertrans", ["62.71"]), r1, TODAY) is None
    with pytest.raises(psycopg2.Error), conn.cursor() as cur:
        cur.execute("UPDATE recommendation_notes SET note = 'x'")
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT action, outcome FROM audit_log WHERE action LIKE 'meeting.%%' OR action LIKE 'recommendation.%%' ORDER BY id")
        assert cur.fetchall() == [("meeting.create", "ok"), ("recommendation.create", "ok"),
                                  ("recommendation.create", "ok"), ("recommendation.update", "ok")]
