"""The meeting pages over HTTP with a session cookie: forms need the CSRF token, only Kesbangpol
sees and uses "Rapat baru", another agency's update form is refused, scope, escaping, the link."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest

from tests.seed import seed

pytestmark = pytest.mark.slow  # a server of its own (writes)

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(data, role: str, agency: str = "kesbangpol", regencies=None) -> httpx.Client:
    username, password = data.make_user(role, regencies, agency)
    client = httpx.Client(base_url=data.server.base, timeout=60)
    form = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text),
                                    "next": "/meetings"})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def kesbangpol(data):
    with closing(login(data, "editor")) as c:
        yield c


def _create_meeting(client, place="Aula <b>Kesbangpol</b>") -> int:
    page = client.get("/meetings")
    r = client.post("/meetings", data={"csrf_token": csrf_of(page.text), "date": "2026-11-20", "period": "2026-Q4",
                                       "place": place, "agencies": ["disnakertrans", "imigrasi"],
                                       "minutes": "Dibuka <script>alert(1)</script>"},
                    files={"minutes_file": ("notulen.pdf", PDF, "application/pdf")})
    assert r.status_code == 303, r.text
    return int(re.match(r"/meetings/(\d+)", r.headers["location"]).group(1))


def _add_rec(client, meeting_id: int, agency: str, company_ids=(), regions=("62.02",)) -> int:
    page = client.get(f"/meetings/{meeting_id}")
    r = client.post(f"/meetings/{meeting_id}/recommendations", data={
        "csrf_token": csrf_of(page.text), "text": f"Tindak lanjut {agency}", "agency": agency,
        "due_date": "2026-01-15", "regions": list(regions), "districts": "", "company_ids": [str(c) for c in company_ids]})
    assert r.status_code == 303, r.text
    return int(re.search(r"#rec-(\d+)", r.headers["location"]).group(1))


def test_forms_need_csrf(data, kesbangpol):
    r = kesbangpol.post("/meetings", data={"csrf_token": "salah", "date": "2026-11-20", "period": "2026-Q4",
                                            "place": "x"})
    assert r.status_code == 403
    r = kesbangpol.post("/meetings", data={"date": "2026-11-20", "period": "2026-Q4", "place": "x"})
    assert r.status_code == 403
    assert data.query("SELECT count(*) FROM meetings WHERE place = 'x'")[0][0] == 0


def test_create_list_show_escaped(data, kesbangpol):
    meeting_id = _create_meeting(kesbangpol)
    listing = kesbangpol.get("/meetings")
    assert 'id="new-meeting"' in listing.text and f'href="/meetings/{meeting_id}"' in listing.text
    assert '<a class="nav-link active" href="/meetings"' in listing.text
    page = kesbangpol.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "<b>Kesbangpol</b>" not in page.text
    assert "notulen.pdf" in page.text
    assert kesbangpol.get(f"/api/meetings/{meeting_id}/minutes-file").content == PDF


@pytest.mark.parametrize(("role", "agency"), [("viewer", "kesbangpol"), ("editor", "imigrasi"),
                                              ("analyst", "kesbangpol")])
def test_others_get_no_create_form_and_are_refused(data, kesbangpol, role, agency):
    meeting_id = _create_meeting(kesbangpol)
    with closing(login(data, role, agency)) as other:
        listing = other.get("/meetings")
        assert listing.status_code == 200 and 'id="new-meeting"' not in listing.text
        assert 'href="/meetings"' in listing.text  # every role has the link
        r = other.post("/meetings", data={"csrf_token": csrf_of(listing.text), "date": "2026-11-20",
                                          "period": "2026-Q4", "place": "Tidak boleh"})
        assert r.status_code == 403
        page = other.get(f"/meetings/{meeting_id}")
        assert page.status_code == 200 and 'id="recommendation-form"' not in page.text
        r = other.post(f"/meetings/{meeting_id}/recommendations", data={
            "csrf_token": csrf_of(page.text), "text": "x", "agency": "imigrasi", "due_date": "2026-12-31"})
        assert r.status_code == 403
    assert data.query("SELECT count(*) FROM meetings WHERE place = 'Tidak boleh'")[0][0] == 0


def test_update_own_refused_other_and_history(data, kesbangpol):
    meeting_id = _create_meeting(kesbangpol)
    mine = _add_rec(kesbangpol, meeting_id, "disnakertrans", company_ids=[data.ids_in("62.02")[0]])
    theirs = _add_rec(kesbangpol, meeting_id, "imigrasi")
    page = kesbangpol.get(f"/meetings/{meeting_id}")
    assert page.text.count("overdue-badge") == 2 and "Terlambat" in page.text
    with closing(login(data, "editor", "disnakertrans")) as dn:
        own = dn.get(f"/meetings/{meeting_id}/recommendations/{mine}")
        assert 'id="update-form"' in own.text
        r = dn.post(f"/meetings/{meeting_id}/recommendations/{mine}", data={
            "csrf_token": csrf_of(own.text), "version": "1", "status": "diproses", "note": "Surat <i>teguran</i> dikirim"},
            files={"evidence": ("bukti.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")})
        assert r.status_code == 303, r.text
        shown = dn.get(r.headers["location"])
        assert "Surat &lt;i&gt;teguran&lt;/i&gt; dikirim" in shown.text and "bukti.png" in shown.text
        # the same version again: changed meanwhile, nothing saved
        r = dn.post(f"/meetings/{meeting_id}/recommendations/{mine}", data={
            "csrf_token": csrf_of(own.text), "version": "1", "status": "selesai", "note": "lagi"})
        assert r.status_code == 409 and "sudah diperbarui orang lain" in r.text
        # another agency's: no form, and a forged POST is refused and audited
        other = dn.get(f"/meetings/{meeting_id}/recommendations/{theirs}")
        assert other.status_code == 200 and 'id="update-form"' not in other.text
        r = dn.post(f"/meetings/{meeting_id}/recommendations/{theirs}", data={
            "csrf_token": csrf_of(other.text), "version": "1", "status": "selesai", "note": "bukan milik kami"})
        assert r.status_code == 403
        # a recommendation through another meeting's URL is absent
        assert dn.get(f"/meetings/{meeting_id + 1000}/recommendations/{mine}").status_code == 404
    assert data.query("SELECT status, version FROM recommendations WHERE id = %s", (theirs,)) == [("baru", 1)]
    assert data.query("SELECT status, version FROM recommendations WHERE id = %s", (mine,)) == [("diproses", 2)]


def test_scope_on_pages(data, kesbangpol):
    meeting_id = _create_meeting(kesbangpol)
    palangka = _add_rec(kesbangpol, meeting_id, "imigrasi", regions=("62.71",))
    with closing(login(data, "editor", "imigrasi", ["62.02"])) as scoped:
        page = scoped.get(f"/meetings/{meeting_id}")
        assert f'id="rec-{palangka}"' not in page.text
        assert scoped.get(f"/meetings/{meeting_id}/recommendations/{palangka}").status_code == 404


def test_group_from_the_form(data, kesbangpol):
    meeting_id = _create_meeting(kesbangpol)
    page = kesbangpol.get(f"/meetings/{meeting_id}")
    form = {"csrf_token": csrf_of(page.text), "text": "Pantau wisatawan", "agency": "imigrasi", "due_date": "2026-12-31",
            "group_label": "Wisatawan <Tiongkok>", "group_regency": "62.71", "group_purpose": "wisata",
            "group_nationality": "CN"}
    r = kesbangpol.post(f"/meetings/{meeting_id}/recommendations", data=form)
    assert r.status_code == 303, r.text
    shown = kesbangpol.get(f"/meetings/{meeting_id}").text
    assert "Wisatawan &lt;Tiongkok&gt;" in shown and "Kota Palangka" in shown
    r = kesbangpol.post(f"/meetings/{meeting_id}/recommendations", data={**form, "group_label": ""})
    assert r.status_code == 400 and "beri nama kelompok" in r.text
