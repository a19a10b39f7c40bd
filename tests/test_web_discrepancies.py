"""/discrepancies and its resolution notes over HTTP against a real server (issue #18 item 4): each
agency's figures side by side, the agency filter, notes written by the roles allowed (CSRF, scope,
audit), a note masked for viewers, a resolved discrepancy reopening when the figures change."""

from __future__ import annotations

import json
import re

import httpx
import psycopg2
import pytest

from geo.discrepancies import open_discrepancy_count
from tests.seed import COMPANIES, seed

pytestmark = pytest.mark.slow  # a server of its own

NEW_NAME = "PT Mentaya Olah Sawit Baru"


def add_reports(url: str, company_ids: list[int], worker_ids: list[int]) -> None:
    """Imigrasi lists 2 workers at company 0 and 1 at company 2; Disnakertrans 1 at company 0 and 2 at
    company 2 (it names worker 2 there); Kesbangpol and Polda report company 1 under two names."""
    nib = [c[0] for c in COMPANIES]
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            batch = {}
            for agency, kind in (("imigrasi", "workers"), ("disnakertrans", "workers"), ("kesbangpol", "companies"),
                                 ("polda", "companies")):
                cur.execute("""INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at,
                                   rows_total, imported, updated, unchanged, rejected, report)
                               VALUES (%s, %s, 'uji.csv', repeat('a', 64), 'uji', 'all_or_nothing', now(), 0, 0, 0, 0, 0, '{}')
                               RETURNING id""", (kind, agency))
                batch[agency] = cur.fetchone()[0]
            for agency, worker, company in (("imigrasi", 0, 0), ("imigrasi", 1, 0), ("imigrasi", 3, 2),
                                            ("disnakertrans", 0, 0), ("disnakertrans", 3, 2), ("disnakertrans", 2, 2)):
                cur.execute("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
                            "VALUES (%s, %s, %s, %s, '{}')", (worker_ids[worker], agency, batch[agency], nib[company]))
            for agency, name in (("kesbangpol", COMPANIES[1][1]), ("polda", NEW_NAME)):
                cur.execute("INSERT INTO company_reports (company_id, agency, batch_id, reported_values) "
                            "VALUES (%s, %s, %s, %s)", (company_ids[1], agency, batch[agency],
                                                        json.dumps({"nama_perusahaan": name})))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def data(server_url, template_db):
    """The known data with the agencies' reports, in a database (and server) of its own: the notes
    written here must not reach the session's shared `seeded` data."""
    seeded = seed(server_url, template_db)
    add_reports(seeded.url, seeded.company_ids, seeded.worker_ids)
    yield seeded
    seeded.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(seeded, role: str, regencies: list[str] | None = None, agency: str = "kesbangpol") -> httpx.Client:
    username, password = seeded.make_user(role, regencies, agency)
    client = httpx.Client(base_url=seeded.server.base, timeout=60)
    form = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text),
                                    "next": "/discrepancies"})
    assert r.status_code == 303, r.text
    client.username = username
    return client


def company_ids_on(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'data-company-id="(\d+)"', html)}


def resolve_form(client: httpx.Client, company_id: int, field: str, **extra) -> httpx.Response:
    """Post the page's own form for one item, with the figures token the page carried."""
    page = client.get("/discrepancies").text
    section = page[page.index(f'id="d-company-{company_id}"'):]
    form = section[section.index(f'name="field" value="{field}"'):]
    figures = re.search(r'name="figures" value="([^"]+)"', form).group(1).replace("&#34;", '"').replace("&quot;", '"')
    body = {"csrf_token": csrf_of(page), "field": field, "figures": figures, "back": "", **extra}
    return client.post(f"/discrepancies/companies/{company_id}/resolve", data=body)


def resolutions(seeded) -> list[tuple]:
    return seeded.query("SELECT company_id, field, chosen_agency, chosen_value, note, username "
                        "FROM discrepancy_resolutions ORDER BY id")


def api_items(seeded, headers: dict, company_id: int) -> dict:
    rows = httpx.get(f"{seeded.server.base}/api/discrepancies/companies", headers=headers, timeout=30).json()
    found = next(d for d in rows if d["company_id"] == company_id)
    return {i["field"]: i for i in found["items"]}


def test_figures_side_by_side_and_the_agency_filter(data):
    viewer = login(data, "viewer")
    page = viewer.get("/discrepancies")
    assert page.status_code == 200
    assert company_ids_on(page.text) == set(data.company_ids)
    assert NEW_NAME in page.text and "Polda" in page.text
    assert "Catat penyelesaian" not in page.text and "/resolve" not in page.text  # viewers only read
    # 3 companies' fields and 2 regencies' worker counts
    assert re.search(r'id="open-count"[^>]*>5 terbuka<', page.text)
    polda = viewer.get("/discrepancies", params={"agency": "polda"}).text
    assert company_ids_on(polda) == {data.company_ids[1]}
    imigrasi = viewer.get("/discrepancies", params={"agency": "imigrasi"}).text
    assert company_ids_on(imigrasi) == {data.company_ids[0], data.company_ids[2]}
    api = httpx.get(f"{data.server.base}/api/discrepancies/companies", params={"agency": "polda"},
                    headers=data.headers("viewer"), timeout=30).json()
    assert [d["company_id"] for d in api] == [data.company_ids[1]]
    # The regions: each regency's worker counts per agency.
    assert 'data-regency="62.02"' in page.text and 'data-regency="62.71"' in page.text


def test_editor_resolves_a_company_discrepancy_until_the_figures_change(data):
    editor = login(data, "editor")
    target = data.company_ids[0]
    before = len(resolutions(data))
    r = resolve_form(editor, target, "jumlah_tka", choice="agency:imigrasi",
                     note="Imigrasi memeriksa ke lokasi: dua TKA bekerja di sana.")
    assert r.status_code == 303 and "done=" in r.headers["location"]
    rows = resolutions(data)
    assert len(rows) == before + 1
    assert rows[-1][:4] == (target, "jumlah_tka", "imigrasi", None) and rows[-1][5] == editor.username
    page = editor.get(r.headers["location"]).text
    section = page[page.index(f'id="d-company-{target}"'):page.index("</section>", page.index(f'id="d-company-{target}"'))]
    assert "Sudah diselesaikan" in section and "Imigrasi memeriksa ke lokasi" in section
    assert api_items(data, data.headers("viewer"), target)["jumlah_tka"]["open"] is False
    # ?status=open leaves it out; the company's other fields have no differences.
    assert target not in company_ids_on(editor.get("/discrepancies", params={"status": "open"}).text)
    assert target in company_ids_on(editor.get("/discrepancies", params={"status": "resolved"}).text)
    # The audit trail has the decision, never the note.
    audit = data.query("SELECT username, target, detail FROM audit_log WHERE action = 'discrepancy.resolve' "
                       "ORDER BY id DESC LIMIT 1")[0]
    assert audit[0] == editor.username and audit[1] == f"company:{target}"
    assert audit[2]["chosen_agency"] == "imigrasi" and "Imigrasi memeriksa" not in json.dumps(audit[2])

    # Imigrasi reports a third worker there: the figures changed, so the discrepancy is open again
    # and the note is history.
    batch = data.query("SELECT batch_id FROM worker_reports WHERE agency = 'imigrasi' LIMIT 1")[0][0]
    conn = psycopg2.connect(data.url)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values) "
                    "VALUES (%s, 'imigrasi', %s, %s, '{}')", (data.worker_ids[2], batch, COMPANIES[0][0]))
    conn.close()
    item = api_items(data, data.headers("viewer"), target)["jumlah_tka"]
    assert item["open"] is True and item["resolution"] is None
    assert item["figures"] == {"disnakertrans": 1, "imigrasi": 3}
    assert [h["chosen_agency"] for h in item["history"]] == ["imigrasi"]
    page = editor.get("/discrepancies").text
    section = page[page.index(f'id="d-company-{target}"'):]
    assert "Terbuka" in section[:section.index("</section>")] and "Riwayat penyelesaian (1)" in section


def test_a_regency_user_cannot_see_or_resolve_another_regency(data):
    outside = data.company_ids[2]  # 62.71
    editor = login(data, "editor", ["62.02"])
    page = editor.get("/discrepancies").text
    assert outside not in company_ids_on(page) and 'data-regency="62.71"' not in page
    assert COMPANIES[2][1] not in page
    before = len(resolutions(data))
    r = editor.post(f"/discrepancies/companies/{outside}/resolve",
                    data={"csrf_token": csrf_of(page), "field": "jumlah_tka", "choice": "agency:imigrasi",
                          "note": "mencoba dari luar wilayah"})
    assert r.status_code == 404 and "tidak ditemukan" in r.text.lower()
    r = editor.post("/discrepancies/regions/62.71/resolve",
                    data={"csrf_token": csrf_of(page), "field": "jumlah_tka", "choice": "agency:imigrasi",
                          "note": "mencoba dari luar wilayah"})
    assert r.status_code == 404
    api = httpx.post(f"{data.server.base}/api/discrepancies/companies/{outside}/resolutions",
                     headers=data.headers("editor", ["62.02"]), timeout=30,
                     json={"field": "jumlah_tka", "chosen_agency": "imigrasi", "note": "dari luar wilayah"})
    assert api.status_code == 404
    assert len(resolutions(data)) == before


def test_csrf_roles_and_stale_figures(data):
    target = data.company_ids[1]
    editor = login(data, "editor")
    before = len(resolutions(data))
    page = editor.get("/discrepancies").text
    r = editor.post(f"/discrepancies/companies/{target}/resolve",
                    data={"field": "nama_perusahaan", "choice": "agency:polda", "note": "tanpa token CSRF"})
    assert r.status_code == 403
    r = editor.post(f"/discrepancies/companies/{target}/resolve",
                    data={"csrf_token": "salah" + csrf_of(page), "field": "nama_perusahaan",
                          "choice": "agency:polda", "note": "token CSRF salah"})
    assert r.status_code == 403
    for role, agency in (("viewer", "kesbangpol"), ("analyst", "imigrasi")):
        other = login(data, role, agency=agency)
        r = other.post(f"/discrepancies/companies/{target}/resolve",
                       data={"csrf_token": csrf_of(other.get("/discrepancies").text), "field": "nama_perusahaan",
                             "choice": "agency:polda", "note": "bukan peran yang boleh"})
        assert r.status_code == 403, role
    # Stale: the figures the form carried are no longer the figures.
    r = editor.post(f"/discrepancies/companies/{target}/resolve",
                    data={"csrf_token": csrf_of(page), "field": "nama_perusahaan", "choice": "agency:polda",
                          "note": "angka lama", "figures": json.dumps({"kesbangpol": "x", "polda": "y"})})
    assert r.status_code == 409 and "berubah" in r.text
    # No reason, or an agency that reported nothing: refused with the reason, nothing written.
    assert resolve_form(editor, target, "nama_perusahaan", choice="agency:polda", note="").status_code == 400
    assert resolve_form(editor, target, "nama_perusahaan", choice="agency:imigrasi",
                        note="tidak melapor").status_code == 400
    assert len(resolutions(data)) == before
    # The API refuses the same, and takes a well-formed note (a bearer token: no CSRF involved).
    api = f"{data.server.base}/api/discrepancies/companies/{target}/resolutions"
    body = {"field": "nama_perusahaan", "chosen_agency": "polda", "note": "lewat API"}
    assert httpx.post(api, json=body, headers=data.headers("analyst", agency="imigrasi"), timeout=30).status_code == 403
    assert httpx.post(api, json={**body, "chosen_agency": None, "chosen_value": "PT\x00"},
                      headers=data.headers("editor"), timeout=30).status_code == 400
    assert httpx.post(api, json={**body, "field": "alamat"}, headers=data.headers("editor"), timeout=30).status_code == 404
    assert len(resolutions(data)) == before
    r = httpx.post(api, json=body, headers=data.headers("editor"), timeout=30)
    assert r.status_code == 201 and isinstance(r.json()["id"], int)
    assert resolutions(data)[-1][2:5] == ("polda", None, "lewat API")
    # Kesbangpol's analysts coordinate: they may.
    analyst = login(data, "analyst", agency="kesbangpol")
    r = resolve_form(analyst, target, "nama_perusahaan", choice="value", chosen_value=NEW_NAME,
                     note="Akta perubahan nama diperiksa Kesbangpol.")
    assert r.status_code == 303
    assert resolutions(data)[-1][2:4] == (None, NEW_NAME)


def test_note_naming_a_worker_is_masked_for_viewers_and_counted_open(data):
    target = data.company_ids[2]
    passport = "MK6611004"  # worker 3's, at this company
    admin = login(data, "admin")
    r = resolve_form(admin, target, "jumlah_tka", choice="agency:disnakertrans",
                     note=f"Paspor {passport} sudah keluar; dicek langsung.")
    assert r.status_code == 303 and "warn=1" in r.headers["location"]
    viewer_item = api_items(data, data.headers("viewer"), target)["jumlah_tka"]
    assert passport not in json.dumps(viewer_item) and "[disamarkan]" in viewer_item["resolution"]["note"]
    viewer_page = login(data, "viewer").get("/discrepancies").text
    assert passport not in viewer_page
    assert passport in api_items(data, data.headers("analyst"), target)["jumlah_tka"]["resolution"]["note"]
    audit = data.query("SELECT detail::text FROM audit_log WHERE action = 'discrepancy.resolve'")
    assert all(passport not in d for (d,) in audit)

    class Who:
        def __init__(self, regencies):
            self.regencies = regencies

    conn = psycopg2.connect(data.url)
    try:
        def expected(scope):
            companies = httpx.get(f"{data.server.base}/api/discrepancies/companies", params={"status": "open"},
                                  headers=data.headers("viewer", scope), timeout=30).json()
            regions = httpx.get(f"{data.server.base}/api/discrepancies/regions", params={"status": "open"},
                                headers=data.headers("viewer", scope), timeout=30).json()
            return sum(1 for t in companies + regions for i in t["items"] if i["open"])
        for scope in (None, ["62.02"], ["62.71"]):
            assert open_discrepancy_count(conn, Who(tuple(scope) if scope else None)) == expected(scope)
        assert open_discrepancy_count(conn, Who(("62.71",))) == 1  # the region's count; the company's is resolved
    finally:
        conn.close()


def test_a_regency_count_resolved_through_the_page(data):
    editor = login(data, "editor", ["62.71"])
    page = editor.get("/discrepancies").text
    section = page[page.index('id="d-region-62-71"'):]
    figures = re.search(r'name="figures" value="([^"]+)"', section).group(1).replace("&#34;", '"')
    r = editor.post("/discrepancies/regions/62.71/resolve",
                    data={"csrf_token": csrf_of(page), "field": "jumlah_tka", "figures": figures,
                          "choice": "value", "chosen_value": "3", "note": "Rekap bersama Tim PORA: tiga TKA.",
                          "back": "status=open&evil=https://x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/discrepancies?status=open&done=")
    assert "evil" not in r.headers["location"]
    row = data.query("SELECT target_kind, regency_code, chosen_value FROM discrepancy_resolutions "
                     "ORDER BY id DESC LIMIT 1")[0]
    assert row == ("region", "62.71", "3")
    after = editor.get("/discrepancies", params={"status": "resolved"}).text
    assert 'data-regency="62.71"' in after and "nilai yang benar: <strong>3</strong>" in after
