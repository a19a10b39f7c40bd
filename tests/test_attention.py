"""What needs attention (issue 19 item 4): GET /api/attention, the home page's panel and the
/attention pages against a real server on the known data plus rows each kind must (or must not) count.

Each count is checked twice: against a number worked out by hand from the rows below, and against a
direct SQL count written here from the definitions (not from geo/attention.py), per scope (province,
62.02, 62.71) and, for recommendations, per agency."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import psycopg2
import pytest

from geo import clock
from tests.conftest import LiveServer
from tests.seed import seed

pytestmark = pytest.mark.slow  # a server process on its own seeded database

KINDS = ("permits_expired_active", "permits_expiring_30d", "permits_expiring_90d", "rptka_expiring_30d",
         "rptka_expiring_90d", "not_inspected_12m", "findings_without_follow_up", "open_discrepancies",
         "overdue_recommendations")
ATTN_SECRET = "WORKERATTNPRIVATE"  # the full name of the worker on an expired permit


def _add_rows(url: str, data) -> None:
    """The rows each kind must count (or must not): dates relative to the province's today."""
    today = clock.today()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    c0, c1, c2 = data.company_ids
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        new = {}
        for key, nib, name, lon, lat, rptka in (
            ("a4", "6202000000044", "PT Perhatian Kotim", 112.97, -2.55, d(10)),  # RPTKA 30 (and 90) days
            ("a5", "6271000000055", "PT Perhatian Palangka", 113.91, -2.20, d(50)),  # RPTKA 90 days only
            ("a6", "6271000000066", "PT RPTKA Lama", 113.93, -2.22, d(-1)),  # expired RPTKA: in neither list
        ):
            cur.execute("""INSERT INTO companies (nib, name, sector, geom, rptka_valid_until)
                           VALUES (%s, %s, 'jasa', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s) RETURNING id""",
                        (nib, name, lon, lat, rptka))
            new[key] = cur.fetchone()[0]
        # a6 inspected recently: not in the "not inspected" list; a4 never, a5 400 days ago.
        inspections = (
            (new["a6"], d(-20), "none", None, "closed"),
            (new["a5"], d(-400), "no_permit", None, "open"),  # finding without follow-up (old)
            (c0, d(-10), "expired_permit", "Surat teguran dikirim", "open"),  # followed up
            (c2, d(-5), "other", None, "closed"),  # closed
            (c1, d(-3), "position_mismatch", "  ", "in_progress"),  # blank follow-up: counts
        )
        for cid, day, finding, follow_up, status in inspections:
            cur.execute("""INSERT INTO inspections (company_id, inspected_on, team, finding, follow_up, status)
                           VALUES (%s, %s, ARRAY['disnakertrans'], %s, %s, %s)""", (cid, day, finding, follow_up, status))
        workers = (
            (new["a4"], ATTN_SECRET, "AT0000001", d(-5), d(100), "active"),  # active on an expired permit
            (new["a4"], "DEPARTED ATTN", "AT0000002", d(-50), d(-50), "departed"),  # departed: not counted
            (new["a5"], "SOON ATTN", "AT0000003", d(20), None, "active"),  # 30 (and 90) days
            (new["a5"], "UNKNOWN ATTN", "AT0000004", None, None, "active"),  # no dates: in no list
            (new["a6"], "LATER ATTN", "AT0000005", d(300), d(91), "active"),  # beyond 90 days
        )
        for cid, name, passport, permit, itas, status in workers:
            cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality,
                                                        position, position_level, permit_valid_until,
                                                        itas_valid_until, status)
                           VALUES (%s, %s, %s, 'CN', 'Teknisi', 'profesional', %s, %s, %s)""",
                        (cid, name, passport, permit, itas, status))
        # Two agencies name company c0 differently: one open discrepancy (field "name").
        for agency, value in (("imigrasi", "PT Sawit Sampit Lestari"), ("disnakertrans", "PT SAWIT SAMPIT")):
            cur.execute("""INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at,
                                                       rows_total, imported, updated, unchanged, rejected, report)
                           VALUES ('companies', %s, 'x.csv', repeat('a', 64), 'uji', 'all_or_nothing', now(),
                                   1, 1, 0, 0, 0, '{}') RETURNING id""", (agency,))
            cur.execute("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) VALUES (%s, %s, %s, %s)",
                        (c0, agency, cur.fetchone()[0], f'{{"name": "{value}"}}'))
        cur.execute("""INSERT INTO meetings (held_on, place, period, created_by)
                       VALUES (%s, 'Aula Kesbangpol', '2026-Q3', 'uji') RETURNING id""", (d(-60),))
        meeting = cur.fetchone()[0]
        for text, agency, due, status, regions in (
            ("Pendataan ulang TKA Kotim", "imigrasi", d(-1), "baru", ["62.02"]),  # overdue
            ("Sosialisasi RPTKA", "disnakertrans", d(-10), "diproses", []),  # overdue, whole province
            ("Sudah selesai", "imigrasi", d(-10), "selesai", ["62.02"]),  # done
            ("Belum jatuh tempo", "imigrasi", d(5), "baru", ["62.71"]),  # not yet due
            ("Patroli gabungan", "polda", d(-2), "baru", ["62.71"]),  # overdue
            ("Tidak mungkin", "polda", d(-2), "tidak_dapat_dilaksanakan", ["62.71"]),  # closed
        ):
            cur.execute("""INSERT INTO recommendations (meeting_id, text, agency, due_date, status, regions, created_by)
                           VALUES (%s, %s, %s, %s, %s, %s, 'uji')""", (meeting, text, agency, due, status, regions))
    conn.close()


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db, serve=False)
    _add_rows(seeded.url, seeded)
    seeded.server = LiveServer(seeded.url)
    yield seeded
    seeded.close()


# Worked out by hand from tests/seed.py (4 active workers ending on today+60, RPTKA today+400, all
# inspected 30 days ago) and the rows above.
EXPECTED = {
    None: {"permits_expired_active": 1, "permits_expiring_30d": 1, "permits_expiring_90d": 5,
           "rptka_expiring_30d": 1, "rptka_expiring_90d": 2, "not_inspected_12m": 2,
           "findings_without_follow_up": 2, "open_discrepancies": 1, "overdue_recommendations": 3},
    "62.02": {"permits_expired_active": 1, "permits_expiring_30d": 0, "permits_expiring_90d": 3,
              "rptka_expiring_30d": 1, "rptka_expiring_90d": 1, "not_inspected_12m": 1,
              "findings_without_follow_up": 1, "open_discrepancies": 1, "overdue_recommendations": 2},
    "62.71": {"permits_expired_active": 0, "permits_expiring_30d": 1, "permits_expiring_90d": 2,
              "rptka_expiring_30d": 0, "rptka_expiring_90d": 1, "not_inspected_12m": 1,
              "findings_without_follow_up": 1, "open_discrepancies": 0, "overdue_recommendations": 2},
}

# The definitions, written again plainly (scope: %(scope)s text[] or NULL; agency: %(agency)s or NULL).
DIRECT_SQL = {
    "permits_expired_active": """
        SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id
         WHERE w.status = 'active' AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND LEAST(w.permit_valid_until, w.itas_valid_until) < %(today)s""",
    "permits_expiring_30d": """
        SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id
         WHERE w.status = 'active' AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND LEAST(w.permit_valid_until, w.itas_valid_until) >= %(today)s
           AND LEAST(w.permit_valid_until, w.itas_valid_until) <= %(today)s + 30""",
    "permits_expiring_90d": """
        SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id
         WHERE w.status = 'active' AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND LEAST(w.permit_valid_until, w.itas_valid_until) >= %(today)s
           AND LEAST(w.permit_valid_until, w.itas_valid_until) <= %(today)s + 90""",
    "rptka_expiring_30d": """
        SELECT count(*) FROM companies c
         WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND rptka_valid_until >= %(today)s AND rptka_valid_until <= %(today)s + 30""",
    "rptka_expiring_90d": """
        SELECT count(*) FROM companies c
         WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND rptka_valid_until >= %(today)s AND rptka_valid_until <= %(today)s + 90""",
    "not_inspected_12m": """
        SELECT count(*) FROM companies c
         WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND c.id NOT IN (SELECT company_id FROM inspections WHERE inspected_on <= %(today)s
                               AND inspected_on > %(today)s - interval '1 year')""",
    "findings_without_follow_up": """
        SELECT count(*) FROM inspections i JOIN companies c ON c.id = i.company_id
         WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
           AND i.finding <> 'none' AND i.status <> 'closed'
           AND (i.follow_up IS NULL OR trim(i.follow_up) = '') AND i.inspected_on <= %(today)s""",
    # The known rows hold company discrepancies only (no worker reports): companies x differing fields.
    "open_discrepancies": """
        SELECT count(*) FROM (
            SELECT cr.company_id, kv.key FROM company_reports cr
              JOIN companies c ON c.id = cr.company_id, jsonb_each(cr.reported_values) kv
             WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
             GROUP BY 1, 2 HAVING count(DISTINCT kv.value) > 1) d""",
    "overdue_recommendations": """
        SELECT count(*) FROM recommendations r
         WHERE r.due_date < %(today)s AND r.status IN ('baru', 'diproses')
           AND (%(agency)s::text IS NULL OR r.agency = %(agency)s)
           AND (%(scope)s::text[] IS NULL OR r.regions = '{}'
                OR EXISTS (SELECT 1 FROM unnest(r.regions) g WHERE left(g, 5) = ANY(%(scope)s::text[])))""",
}


def _direct(data, kind: str, regency: str | None, agency: str | None = None) -> int:
    params = {"today": clock.today(), "scope": [regency] if regency else None, "agency": agency}
    return data.query(DIRECT_SQL[kind], params)[0][0]


def _get(data, path: str, headers: dict) -> httpx.Response:
    return httpx.get(data.server.base + path, headers=headers, timeout=60, follow_redirects=False)


def _items(data, role: str = "analyst", regency: str | None = None, agency: str = "kesbangpol") -> dict:
    response = _get(data, "/api/attention", data.headers(role, [regency] if regency else None, agency))
    assert response.status_code == 200, response.text
    assert response.headers.get("cache-control", "").find("public") < 0
    body = response.json()
    assert body["today"] == clock.today().isoformat()
    return {item["kind"]: item for item in body["items"]}


@pytest.mark.parametrize("regency", [None, "62.02", "62.71"])
def test_counts_equal_direct_sql_per_scope(data, regency):
    items = _items(data, "analyst", regency)
    assert list(items) == list(KINDS)
    for kind in KINDS:
        assert items[kind]["count"] == EXPECTED[regency][kind] == _direct(data, kind, regency), kind
        assert items[kind]["link"] == f"/attention/{kind}"
        assert items[kind]["label"] and items[kind]["severity"] in ("high", "medium", "low")
    # The same number the discrepancies page counts (one definition of "open").
    from api.security import Principal
    from geo.discrepancies import open_discrepancy_count

    conn = psycopg2.connect(data.url)
    try:
        principal = Principal("uji", "analyst", "kesbangpol", (regency,) if regency else None)
        assert items["open_discrepancies"]["count"] == open_discrepancy_count(conn, principal)
    finally:
        conn.close()


@pytest.mark.parametrize(("agency", "expected"), [("kesbangpol", 3), ("imigrasi", 1), ("disnakertrans", 1),
                                                  ("polda", 1), ("pemkab", 0)])
def test_overdue_recommendations_per_agency(data, agency, expected):
    assert _items(data, "analyst", None, agency)["overdue_recommendations"]["count"] == expected
    assert _direct(data, "overdue_recommendations", None, None if agency == "kesbangpol" else agency) == expected
    # An agency's own in a regency: polda's overdue one concerns 62.71 only.
    if agency == "polda":
        assert _items(data, "analyst", "62.02", agency)["overdue_recommendations"]["count"] == 0


def test_records_of_small_items_without_personal_data(data):
    items = _items(data, "analyst")
    records = items["permits_expired_active"]["records"]
    assert len(records) == 1
    assert records[0]["link"].startswith("/companies/") and "PT Perhatian Kotim" in records[0]["name"]
    assert records[0]["date"] == (clock.today() - timedelta(days=5)).isoformat()
    assert ATTN_SECRET not in str(items)
    assert [r["name"] for r in items["rptka_expiring_30d"]["records"]] == ["PT Perhatian Kotim"]


def test_viewer_gets_counts_only(data):
    response = _get(data, "/api/attention", data.headers("viewer"))
    assert response.status_code == 200
    for secret in [*data.secrets, ATTN_SECRET, "SOON ATTN"]:
        assert secret not in response.text
    items = {i["kind"]: i for i in response.json()["items"]}
    assert all(i["records"] == [] for i in items.values())
    assert items["permits_expired_active"]["count"] == 1
    # The list page shows the workers without names, and the home page's panel the counts.
    page = _get(data, "/attention/permits_expired_active", data.headers("viewer"))
    assert page.status_code == 200 and "PT Perhatian Kotim" in page.text
    assert ATTN_SECRET not in page.text and "AT0000001" not in page.text
    recs = _get(data, "/attention/overdue_recommendations", data.headers("viewer"))
    assert recs.status_code == 200 and len(_rows(recs.text)) == 3
    assert "Pendataan ulang TKA Kotim" not in recs.text  # free text: read masked on the recommendation's page
    home = _get(data, "/", data.headers("viewer"))
    assert 'data-kind="permits_expired_active" data-count="1"' in home.text
    assert ATTN_SECRET not in home.text


def test_unauthenticated(data):
    assert httpx.get(data.server.base + "/api/attention", timeout=30).status_code == 401
    assert _get(data, "/attention", {}).status_code == 303


def _rows(html: str) -> list[str]:
    body = html.split('id="attention-records"', 1)[1].split("</table>", 1)[0]
    return [r for r in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S) if "Tidak ada." not in r]


@pytest.mark.parametrize("regency", [None, "62.02", "62.71"])
def test_links_list_the_counted_records_in_scope(data, regency):
    headers = data.headers("analyst", [regency] if regency else None)
    other = {None: None, "62.02": "62.71", "62.71": "62.02"}[regency]
    for kind, item in _items(data, "analyst", regency).items():
        page = _get(data, item["link"], headers)
        assert page.status_code == 200, kind
        assert f'data-count="{item["count"]}"' in page.text
        rows = _rows(page.text)
        assert len(rows) == item["count"], kind
        for link in set(re.findall(r'href="(/companies/\d+)"', "".join(rows))):
            assert _get(data, link, headers).status_code == 200
            if other:  # each listed record is out of the other regency user's scope: 404 as if absent
                assert _get(data, link, data.headers("analyst", [other])).status_code == 404
        for link in set(re.findall(r'href="(/discrepancies\?[^"]+)"', "".join(rows))):
            assert _get(data, link.replace("&amp;", "&"), headers).status_code == 200
        for link in set(re.findall(r'href="(/meetings/\d+/recommendations/\d+)"', "".join(rows))):
            assert _get(data, link, headers).status_code == 200
        if other:
            assert _get(data, f"{item['link']}?regency_code={other}", headers).status_code == 404
            filtered = _get(data, f"{item['link']}?regency_code={regency}", headers)
            assert filtered.status_code == 200 and len(_rows(filtered.text)) == item["count"]


def test_names_for_roles_allowed_them_and_audited(data):
    before = data.query("SELECT count(*) FROM audit_log WHERE action = 'personal.read' "
                        "AND target = 'attention:permits_expired_active'")[0][0]
    page = _get(data, "/attention/permits_expired_active", data.headers("analyst"))
    assert page.status_code == 200 and ATTN_SECRET in page.text
    after = data.query("SELECT count(*), max(detail::text) FROM audit_log WHERE action = 'personal.read' "
                       "AND target = 'attention:permits_expired_active'")[0]
    assert after[0] == before + 1 and ATTN_SECRET not in after[1]


def test_unknown_kind_is_404(data):
    headers = data.headers("analyst")
    assert _get(data, "/attention/nothing_here", headers).status_code == 404
    assert _get(data, "/attention/permits_expiring_30d?regency_code=62.99", headers).status_code in (404, 422)


def test_home_panel_and_overview_page(data):
    headers = data.headers("analyst", ["62.02"])
    home = _get(data, "/", headers)
    assert home.status_code == 200 and 'id="attention"' in home.text
    for kind, n in EXPECTED["62.02"].items():
        assert f'data-kind="{kind}" data-count="{n}"' in home.text, kind
    page = _get(data, "/attention", headers)
    assert page.status_code == 200
    for kind, n in EXPECTED["62.02"].items():
        assert f'data-kind="{kind}" data-count="{n}"' in page.text, kind
    assert 'href="/attention"' in page.text  # the navigation link, for every role


def test_a_resolved_discrepancy_leaves_the_list(data):
    """Last in the module: it changes the data. A resolution note (geo.discrepancy_resolutions) for
    the current figures closes the discrepancy; the count follows."""
    from api.security import Principal
    from geo import discrepancies

    assert _items(data, "analyst")["open_discrepancies"]["count"] == 1
    conn = psycopg2.connect(data.url)
    try:
        editor = Principal("uji-editor", "editor", "kesbangpol", None)
        assert discrepancies.resolve(conn, editor, "company", str(data.company_ids[0]), field="name",
                                     chosen_agency="imigrasi", note="nama sesuai NIB") is not None
    finally:
        conn.close()
    items = _items(data, "analyst")
    assert items["open_discrepancies"]["count"] == 0
    page = _get(data, items["open_discrepancies"]["link"], data.headers("analyst"))
    assert page.status_code == 200 and _rows(page.text) == []


def test_the_whole_list_well_under_a_second_at_demo_scale(demo_url):
    """The default demo (150 companies, 700 workers): the best of three under 0.5 s even on the shared
    2-core machine (it takes a few tens of milliseconds when idle)."""
    import time

    from api.security import Principal
    from geo.attention import attention_items
    from geo.db import connect

    conn = connect(demo_url)
    try:
        for principal in (Principal("perf", "analyst", "kesbangpol", None),
                          Principal("perf", "viewer", "imigrasi", ("62.02",))):
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                items = attention_items(conn, principal, clock.today())
                best = min(best, time.perf_counter() - start)
            assert len(items) == len(KINDS) and sum(i.count for i in items) > 0
            assert best < 0.5, f"{principal.role}: {best:.3f} s"
    finally:
        conn.close()
