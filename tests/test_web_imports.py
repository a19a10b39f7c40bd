"""/imports over plain HTTP on a server of its own: roles, CSRF, check then commit of the very file that
was checked, combined companies+workers, scope, history, the rejected rows' CSV, the per-agency view."""

from __future__ import annotations

import csv
import io
import os
import re

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    sample_rows,
)

pytestmark = pytest.mark.slow  # a server of its own; imports in child processes

PASSWORD = "kata-sandi-impor-12345"
USERS = {"editor-imigrasi": ("editor", "imigrasi", None), "editor-kotim": ("editor", "imigrasi", ["62.02"]),
         "editor-palangka": ("editor", "disnakertrans", ["62.71"]), "admin-impor": ("admin", "kesbangpol", None),
         "analis-impor": ("analyst", "kesbangpol", None), "peninjau-impor": ("viewer", "kesbangpol", None)}


@pytest.fixture(scope="module")
def site(server_url, template_db):
    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    for name, (role, agency, regencies) in USERS.items():
        create_user(conn, name, PASSWORD, role, agency, regencies)
    conn.close()
    server = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "1000"})
    try:
        yield url, server
    finally:
        server.stop()
        drop_database(server_url, dbname_of(url))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(site, username: str) -> httpx.Client:
    client = httpx.Client(base_url=site[1].base, timeout=180)
    form = client.get("/login")
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303, r.text
    return client


def query(site, sql: str, params=()):
    with psycopg2.connect(site[0]) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def check(client: httpx.Client, kind: str, data: bytes, name="f.csv", workers: bytes | None = None, **form):
    token = client.cookies.get("pantau_csrf") or csrf_of(client.get("/imports").text)
    files = {"file": (name, data, "text/csv")}
    if workers is not None:
        files["workers_file"] = ("tka.csv", workers, "text/csv")
    return client.post("/imports/check", data={"kind": kind, **form}, files=files,
                       headers={"Accept": "application/json", "X-CSRF-Token": token})


def commit(client: httpx.Client, target: str, mode: str) -> httpx.Response:
    return client.post(f"{target}/commit", data={"mode": mode, "csrf_token": client.cookies.get("pantau_csrf")},
                       headers={"Accept": "application/json"})


def counts_on(html: str) -> list[dict[str, int]]:
    """The preview's figures per file, as the page shows them."""
    out = []
    for section in html.split('class="card mb-3 import-part"')[1:]:
        out.append({k: int(v.replace(".", "")) for k, v in re.findall(r'data-count="(\w+)">([\d.]+)<', section)})
    return out


def test_roles_that_may_not_import_are_refused_and_see_no_link(site):
    for name in ("analis-impor", "peninjau-impor"):
        client = login(site, name)
        home = client.get("/")
        assert 'href="/imports"' not in home.text
        assert client.get("/imports").status_code == 403
        assert client.get("/imports/history").status_code == 403
        r = check(client, "companies", COMPANIES_CSV.read_bytes())
        assert r.status_code == 403
    editor = login(site, "editor-imigrasi")
    assert 'href="/imports"' in editor.get("/").text
    assert editor.get("/imports").status_code == 200
    assert query(site, "SELECT count(*) FROM import_uploads")[0][0] == 0


def test_check_needs_the_csrf_token(site):
    client = login(site, "editor-imigrasi")
    client.get("/imports")
    r = client.post("/imports/check", data={"kind": "companies"},
                    files={"file": ("c.csv", COMPANIES_CSV.read_bytes(), "text/csv")})
    assert r.status_code == 403
    r = client.post("/imports/check", data={"kind": "companies", "csrf_token": "salah"},
                    files={"file": ("c.csv", COMPANIES_CSV.read_bytes(), "text/csv")})
    assert r.status_code == 403
    assert query(site, "SELECT count(*) FROM import_uploads")[0][0] == 0


def test_check_then_commit_the_valid_rows(site):
    editor = login(site, "editor-imigrasi")
    r = check(editor, "companies", COMPANIES_CSV.read_bytes(), "perusahaan.csv", source="kesbangpol")
    assert r.status_code == 200, r.text
    target = r.json()["next"]
    page = editor.get(target)
    assert page.status_code == 200
    checked = counts_on(page.text)
    assert checked == [{"rows": VALID_COMPANIES + len(BAD_COMPANY_LINES), "new": VALID_COMPANIES, "changed": 0,
                        "unchanged": 0, "rejected": len(BAD_COMPANY_LINES)}]
    assert "luar Kalimantan Tengah" in page.text  # line 35's reason
    assert re.search(r"<td>35</td>", page.text)
    assert query(site, "SELECT count(*) FROM companies")[0][0] == 0
    # Another user cannot reach it, nor can a made-up id.
    assert login(site, "admin-impor").get(target).status_code == 404
    assert commit(login(site, "editor-kotim"), target, "skip_invalid").status_code == 404
    # All or nothing is refused while rows are rejected.
    assert commit(editor, target, "all_or_nothing").status_code == 400
    assert query(site, "SELECT count(*) FROM companies")[0][0] == 0
    done = commit(editor, target, "skip_invalid")
    assert done.status_code == 200 and done.json()["next"] == target
    page = editor.get(target)
    assert "Impor tersimpan" in page.text
    assert counts_on(page.text) == checked  # check counts == commit counts
    assert query(site, "SELECT count(*) FROM companies")[0][0] == VALID_COMPANIES
    # The editor's own agency, not the one the form claimed.
    assert query(site, "SELECT agency, imported_by, file_name, imported, rejected FROM import_batches") == \
        [("imigrasi", "editor-imigrasi", "perusahaan.csv", VALID_COMPANIES, len(BAD_COMPANY_LINES))]
    actions = query(site, "SELECT action, outcome, detail->>'mode' FROM audit_log WHERE username = %s ORDER BY id",
                    ("editor-imigrasi",))
    assert ("import.companies", "ok", "skip_invalid") in actions and ("import.companies", "ok", "check") in actions
    # A second click imports nothing twice.
    again = commit(editor, target, "skip_invalid")
    assert again.status_code == 200
    assert query(site, "SELECT count(*) FROM import_batches")[0][0] == 1
    # The stored bytes are gone once committed.
    assert query(site, "SELECT count(*) FROM import_upload_files WHERE data IS NOT NULL AND upload_id = %s",
                 (target.rsplit("/", 1)[1],))[0][0] == 0

    # History and the rejected rows' CSV (formula-safe).
    history = editor.get("/imports/history")
    assert "perusahaan.csv" in history.text
    batch_id = query(site, "SELECT id FROM import_batches")[0][0]
    report = editor.get(f"/imports/batches/{batch_id}/rejected.csv")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.text.lstrip("\ufeff"))))
    assert rows[0] == ["baris", "kolom", "nilai", "alasan"]
    assert sorted({int(r[0]) for r in rows[1:]}) == BAD_COMPANY_LINES
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    # A regency-scoped colleague of the same agency sees the batch but not its rejected rows; another agency neither.
    kotim = login(site, "editor-kotim")
    assert "perusahaan.csv" in kotim.get("/imports/history").text
    assert kotim.get(f"/imports/batches/{batch_id}/rejected.csv").status_code == 404
    other = login(site, "editor-palangka")
    assert "perusahaan.csv" not in other.get("/imports/history").text
    assert other.get(f"/imports/batches/{batch_id}/rejected.csv").status_code == 404
    # The per-agency view: the latest companies batch of imigrasi.
    agency = editor.get("/agency")
    assert agency.status_code == 200 and 'data-kind="companies"' in agency.text
    assert login(site, "peninjau-impor").get("/agency").status_code == 200


def test_rejected_value_is_escaped_and_formula_safe(site):
    header, rows = sample_rows(COMPANIES_CSV)
    bad = list(rows[0])
    bad[header.index("nib")] = "=HYPERLINK(\"x\")<script>"
    data = ("\r\n".join(",".join(f'"{c}"' if "," in c or '"' in c else c for c in r)
                        for r in [header, [c.replace('"', '""') for c in bad]]) + "\r\n").encode()
    editor = login(site, "editor-imigrasi")
    target = check(editor, "companies", data).json()["next"]
    page = editor.get(target).text
    assert "<script>" not in page and "&lt;script&gt;" in page
    report = editor.get(f"{target}/rejected.csv").text
    assert "'=HYPERLINK" in report


def test_companies_and_workers_in_one_upload(site):
    editor = login(site, "editor-palangka")
    alone = check(editor, "workers", WORKERS_CSV.read_bytes())
    assert alone.status_code == 200
    admin = login(site, "admin-impor")
    r = check(admin, "companies", COMPANIES_CSV.read_bytes(), workers=WORKERS_CSV.read_bytes(), source="polda")
    assert r.status_code == 200, r.text
    target = r.json()["next"]
    checked = counts_on(admin.get(target).text)
    # Workers of companies in the same upload are known (the companies of the first test already exist:
    # unchanged for them; polda reports them all the same).
    assert [c["rejected"] for c in checked] == [len(BAD_COMPANY_LINES), len(BAD_WORKER_LINES)]
    assert checked[1]["new"] == VALID_WORKERS
    assert commit(admin, target, "skip_invalid").status_code == 200
    assert counts_on(admin.get(target).text) == checked
    assert query(site, "SELECT count(*) FROM foreign_workers")[0][0] == VALID_WORKERS
    assert query(site, "SELECT kind FROM import_batches WHERE agency = 'polda' ORDER BY id") == \
        [("companies",), ("workers",)]


def test_a_regency_user_cannot_import_into_another_regency(site):
    header, rows = sample_rows(COMPANIES_CSV)
    nib, lat, lon = query(site, "SELECT nib, ST_Y(geom), ST_X(geom) FROM companies WHERE regency_code = '62.71' "
                                "ORDER BY nib LIMIT 1")[0]
    template = next(r for r in rows if r[header.index("nib")] == nib)
    new = list(template)  # a new company placed in 62.71
    new[header.index("nib")] = "7" + nib[1:]
    new[header.index("latitude")], new[header.index("longitude")] = f"{lat:.6f}", f"{lon:.6f}"
    moved = list(template)  # the existing 62.71 company, renamed
    moved[header.index("nama_perusahaan")] += " Diubah"
    data = ("\r\n".join(",".join(r) for r in [header, new, moved]) + "\r\n").encode()
    kotim = login(site, "editor-kotim")
    target = check(kotim, "companies", data).json()["next"]
    page = kotim.get(target).text
    assert counts_on(page)[0]["rejected"] == 2 and counts_on(page)[0]["new"] == 0
    # Both lie outside the editor's regencies: rejected as the API rejects them (docs/IMPORTS.md).
    assert page.count("<td>lokasi di luar wilayah kewenangan Anda") == 2
    assert commit(kotim, target, "skip_invalid").status_code == 200
    assert query(site, "SELECT count(*) FROM companies WHERE nib = %s", (new[header.index("nib")],))[0][0] == 0
    assert query(site, "SELECT name FROM companies WHERE nib = %s", (nib,))[0][0] == template[header.index("nama_perusahaan")]


def test_api_check_counts_equal_commit_counts(site):
    r = httpx.post(f"{site[1].base}/api/auth/token", data={"username": "editor-palangka", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    header, rows = sample_rows(COMPANIES_CSV)
    good = [list(r) for i, r in enumerate(rows, start=2) if i not in BAD_COMPANY_LINES]
    for r in good:
        r[header.index("nama_perusahaan")] += " (Disnakertrans)"
    data = ("\r\n".join(",".join(r) for r in [header, *good]) + "\r\n").encode()

    def send(mode):
        return httpx.post(f"{site[1].base}/api/imports/companies", headers=headers, timeout=120, data={"mode": mode},
                          files={"file": ("c.csv", data, "text/csv")}).json()

    checked, done = send("check"), send("skip_invalid")
    fields = ("imported", "updated", "unchanged", "rejected_rows")
    assert [checked[k] for k in fields] == [done[k] for k in fields]
    assert checked["updated"] > 0  # the scope's companies, renamed
    # The per-agency view: Disnakertrans now names the scope's companies differently from the others.
    in_scope = query(site, "SELECT count(*) FROM companies WHERE regency_code = '62.71'")[0][0]
    page = login(site, "editor-palangka").get("/agency").text
    assert re.search(r'data-count="differing">(\d+)<', page).group(1) == str(in_scope)
    assert 'href="/discrepancies?agency=disnakertrans"' in page


def test_a_commit_after_the_data_changed_writes_nothing_until_checked_again(site):
    """The policy (docs/IMPORTS.md): changed counts are reported as they are; rows rejected differently
    from the check mean nothing is written, and the kept file can be checked again."""
    header, rows = sample_rows(WORKERS_CSV)
    nib = "6" + "0" * 12
    worker = list(rows[0])
    worker[header.index("nib")] = nib
    worker[header.index("nomor_paspor")] = "X9876543"
    data = ("\r\n".join(",".join(r) for r in [header, worker]) + "\r\n").encode()
    editor = login(site, "editor-imigrasi")
    target = check(editor, "workers", data).json()["next"]
    assert counts_on(editor.get(target).text)[0]["rejected"] == 1  # the employer is unknown
    # Meanwhile the employer is imported: the commit would now accept the row it was told is rejected.
    c_header, c_rows = sample_rows(COMPANIES_CSV)
    company = list(c_rows[0])
    company[c_header.index("nib")] = nib
    admin = login(site, "admin-impor")
    made = check(admin, "companies", ("\r\n".join(",".join(r) for r in [c_header, company]) + "\r\n").encode())
    assert commit(admin, made.json()["next"], "all_or_nothing").status_code == 200
    stale = commit(editor, target, "skip_invalid")
    assert stale.status_code == 409 and "periksa ulang" in stale.json()["error"]
    assert query(site, "SELECT count(*) FROM foreign_workers WHERE passport_number = 'X9876543'")[0][0] == 0
    assert commit(editor, target, "recheck").status_code == 200
    assert counts_on(editor.get(target).text)[0] == {"rows": 1, "new": 1, "changed": 0, "unchanged": 0, "rejected": 0}
    assert commit(editor, target, "all_or_nothing").status_code == 200
    assert query(site, "SELECT count(*) FROM foreign_workers WHERE passport_number = 'X9876543'")[0][0] == 1


def test_progress_is_read_by_its_user_only(site):
    from api.security import Principal
    from api.web.imports import _progress_path

    progress_id = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    path = _progress_path(Principal("editor-imigrasi", "editor", "imigrasi", None), progress_id)
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"kind": "companies", "stage": "validate", "rows": 1234}')
    try:
        editor = login(site, "editor-imigrasi")
        assert editor.get(f"/imports/progress/{progress_id}").json() == \
            {"kind": "companies", "stage": "validate", "rows": 1234}
        assert login(site, "editor-kotim").get(f"/imports/progress/{progress_id}").json() == {}
        assert login(site, "peninjau-impor").get(f"/imports/progress/{progress_id}").status_code == 403
        assert editor.get("/imports/progress/x").json() == {}
    finally:
        os.unlink(path)


def test_an_xlsx_file_is_checked_like_its_csv(site):
    from tests.test_imports_variants import xlsx_variant

    editor = login(site, "editor-imigrasi")
    xlsx = check(editor, "workers", xlsx_variant(WORKERS_CSV), "tka.xlsx").json()["next"]
    csv_ = check(editor, "workers", WORKERS_CSV.read_bytes(), "tka.csv").json()["next"]
    assert counts_on(editor.get(xlsx).text) == counts_on(editor.get(csv_).text)
    assert counts_on(editor.get(xlsx).text)[0]["rows"] == VALID_WORKERS + len(BAD_WORKER_LINES)


def test_expired_uploads_are_gone_with_their_bytes(site):
    editor = login(site, "editor-imigrasi")
    target = check(editor, "companies", COMPANIES_CSV.read_bytes()).json()["next"]
    upload_id = target.rsplit("/", 1)[1]
    with psycopg2.connect(site[0]) as conn, conn.cursor() as cur:
        cur.execute("UPDATE import_uploads SET expires_at = now() - interval '1 second' WHERE id = %s", (upload_id,))
    conn.close()
    assert editor.get(target).status_code == 404
    assert commit(editor, target, "skip_invalid").status_code == 404
    editor.get("/imports")
    assert query(site, "SELECT count(*) FROM import_upload_files WHERE upload_id = %s", (upload_id,))[0][0] == 0
