"""Edit forms and the new-inspection form over plain HTTP against a real server: roles, scope, CSRF,
field messages, optimistic locking with the conflict's author, moves out of scope, photos (type by
content, size, EXIF/GPS stripped, scoped download)."""

from __future__ import annotations

import io
import re

import httpx
import psycopg2
import pytest
from PIL import ExifTags, Image

from tests.seed import seed

pytestmark = pytest.mark.slow  # a dataset and a server of its own


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def browser(data, role: str, regencies=None) -> httpx.Client:
    username, password = data.make_user(role, regencies)
    client = httpx.Client(base_url=data.server.base, timeout=60)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    client.username = username
    return client


def form_of(html: str) -> dict:
    """The edit form's current values, as the browser would send them back."""
    form = html[html.index('id="edit-form"'):]
    values: dict = {}
    for name, value in re.findall(r'<input class="form-control[^"]*" id="f-\w+" name="(\w+)"\s+type="\w+" value="([^"]*)"', form):
        values[name] = value
    for name, body in re.findall(r'<select [^>]*name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea [^>]*name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = body
    values["team"] = re.findall(r'name="team" value="(\w+)" checked', form)
    values["version"] = re.search(r'name="version" value="(\d+)"', form).group(1)
    values["csrf_token"] = csrf_of(form)
    return values


def company_row(data, cid: int) -> tuple:
    return data.query("SELECT name, nib, version, ST_X(geom), ST_Y(geom) FROM companies WHERE id = %s", (cid,))[0]


def test_viewers_and_analysts_get_no_buttons_and_403(data):
    cid, wid, iid = data.company_ids[0], data.worker_ids[0], data.inspection_ids[0]
    for role in ("viewer", "analyst"):
        client = browser(data, role)
        page = client.get(f"/companies/{cid}")
        assert page.status_code == 200
        assert f"/companies/{cid}/edit" not in page.text and "/inspections/new" not in page.text
        assert "/workers/" not in page.text
        for path in (f"/companies/{cid}/edit", f"/workers/{wid}/edit", f"/inspections/{iid}/edit",
                     f"/companies/{cid}/inspections/new"):
            assert client.get(path).status_code == 403, (role, path)
        before = company_row(data, cid)
        r = client.post(f"/companies/{cid}/edit", data={"csrf_token": client.cookies["pantau_csrf"], "version": before[2],
                                                         "name": "PT Diubah Peninjau"})
        assert r.status_code == 403 and company_row(data, cid) == before
        r = client.post(f"/companies/{cid}/inspections/new", data={
            "csrf_token": client.cookies["pantau_csrf"], "inspected_on": "2026-01-02", "team": "kesbangpol",
            "finding": "none", "status": "open"})
        assert r.status_code == 403
        assert data.query("SELECT count(*) FROM inspections WHERE company_id = %s AND inspected_on = '2026-01-02'",
                          (cid,))[0][0] == 0


def test_editor_sees_buttons_and_out_of_scope_records_are_absent(data):
    client = browser(data, "editor", ["62.02"])
    cid = data.ids_in("62.02")[0]
    page = client.get(f"/companies/{cid}")
    assert f'href="/companies/{cid}/edit"' in page.text and f"/companies/{cid}/inspections/new" in page.text
    other = data.ids_in("62.71")[0]
    other_worker = data.worker_ids[3]  # the 62.71 company's worker
    other_inspection = data.inspection_ids[2]
    for path in (f"/companies/{other}/edit", f"/workers/{other_worker}/edit", f"/inspections/{other_inspection}/edit",
                 f"/companies/{other}/inspections/new", "/companies/999999/edit"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "KIM JISOO" not in r.text and "PT Jasa Palangka Raya" not in r.text
    before = company_row(data, other)
    r = client.post(f"/companies/{other}/edit", data={"csrf_token": client.cookies["pantau_csrf"],
                                                       "version": before[2], "name": "PT Bukan Wilayahku"})
    assert r.status_code == 404 and company_row(data, other) == before


def test_a_form_post_without_the_csrf_token_is_refused(data):
    client = browser(data, "editor")
    cid = data.company_ids[1]
    values = form_of(client.get(f"/companies/{cid}/edit").text)
    before = company_row(data, cid)
    for token in (None, "salah"):
        body = {**values, "name": "PT Lewat CSRF"}
        if token is None:
            body.pop("csrf_token")
        else:
            body["csrf_token"] = token
        r = client.post(f"/companies/{cid}/edit", data=body)
        assert r.status_code == 403 and "Sesi formulir kedaluwarsa" in r.text
    assert company_row(data, cid) == before


def test_editor_corrects_a_company_and_it_is_audited(data):
    client = browser(data, "editor")
    cid = data.company_ids[1]
    values = form_of(client.get(f"/companies/{cid}/edit").text)
    r = client.post(f"/companies/{cid}/edit", data={**values, "name": "PT Mentaya Olah Sawit Baru", "kbli": "10431"})
    assert r.status_code == 303 and r.headers["location"] == f"/companies/{cid}?disimpan=company"
    page = client.get(r.headers["location"])
    assert "PT Mentaya Olah Sawit Baru" in page.text and "Perubahan tersimpan" in page.text
    assert company_row(data, cid)[0] == "PT Mentaya Olah Sawit Baru"
    (detail,) = data.query("SELECT detail FROM audit_log WHERE action = 'company.update' AND target = %s "
                           "AND username = %s ORDER BY id DESC LIMIT 1", (f"company:{cid}", client.username))[0]
    assert detail["changed"] == ["kbli", "name"] and detail["method"] == "POST"


def test_field_errors_are_shown_beside_each_field(data):
    client = browser(data, "editor")
    cid = data.company_ids[0]
    values = form_of(client.get(f"/companies/{cid}/edit").text)
    before = company_row(data, cid)
    r = client.post(f"/companies/{cid}/edit", data={**values, "nib": "12ab", "name": "", "kbli": "123456",
                                                     "rptka_valid_until": "2026-13-40"})
    assert r.status_code == 400
    for field, message in (("nib", "format tidak sesuai"), ("name", "wajib diisi"), ("kbli", "format tidak sesuai"),
                           ("rptka_valid_until", "tanggal tidak valid")):
        block = re.search(rf'<div class="invalid-feedback d-block" id="err-{field}">([^<]*)</div>', r.text)
        assert block and message in block.group(1), field
        assert f'aria-describedby="err-{field}"' in r.text
    assert 'value="12ab"' in r.text  # the typed value is kept for correction
    assert company_row(data, cid) == before


def test_a_conflicting_edit_shows_who_changed_what_and_the_reload_keeps_typed_values(data):
    first, second = browser(data, "editor"), browser(data, "admin")
    cid = data.company_ids[2]
    form_first = form_of(first.get(f"/companies/{cid}/edit").text)
    form_second = form_of(second.get(f"/companies/{cid}/edit").text)
    assert first.post(f"/companies/{cid}/edit", data={**form_first, "address": "Jl. Tjilik Riwut km 5"}).status_code == 303
    r = second.post(f"/companies/{cid}/edit", data={**form_second, "name": "PT Jasa Palangka Raya Kedua"})
    assert r.status_code == 409
    conflict = r.text[r.text.index('id="conflict"'):]
    assert first.username in conflict and "Alamat" in conflict and "Jl. Tjilik Riwut km 5" in conflict
    assert 'value="PT Jasa Palangka Raya Kedua"' in r.text  # still there to copy
    assert company_row(data, cid)[0] == "PT Jasa Palangka Raya"
    reload = second.post(f"/companies/{cid}/edit", data={**form_second, "name": "PT Jasa Palangka Raya Kedua",
                                                          "action": "reload"})
    assert reload.status_code == 200 and 'id="reloaded"' in reload.text
    assert re.search(r'Anda mengetik: <span class="user-select-all">PT Jasa Palangka Raya Kedua</span>', reload.text)
    fresh = form_of(reload.text)
    assert fresh["address"] == "Jl. Tjilik Riwut km 5" and int(fresh["version"]) == company_row(data, cid)[2]
    assert second.post(f"/companies/{cid}/edit", data={**fresh, "name": "PT Jasa Palangka Raya Kedua"}).status_code == 303


def test_a_worker_conflict_masks_personal_values(data):
    first, second = browser(data, "editor"), browser(data, "editor")
    wid = data.worker_ids[1]
    a, b = (form_of(c.get(f"/workers/{wid}/edit").text) for c in (first, second))
    assert a["full_name"] == "AHMAD BINPRIVATE"
    assert first.post(f"/workers/{wid}/edit", data={**a, "full_name": "AHMAD BIN SECRETNAME"}).status_code == 303
    r = second.post(f"/workers/{wid}/edit", data={**b, "position": "Asisten"})
    assert r.status_code == 409
    conflict = r.text[r.text.index('id="conflict"'):r.text.index("Perubahan Anda belum disimpan")]
    assert "Nama lengkap" in conflict and "data pribadi" in conflict
    assert "SECRETNAME" not in conflict and "AHMAD BINPRIVATE" not in conflict


def test_a_move_out_of_the_scope_is_refused_beside_the_point(data):
    client = browser(data, "editor", ["62.02"])
    cid = data.ids_in("62.02")[0]
    values = form_of(client.get(f"/companies/{cid}/edit").text)
    before = company_row(data, cid)
    r = client.post(f"/companies/{cid}/edit", data={**values, "lon": "113.92", "lat": "-2.21"})  # Palangka Raya
    assert r.status_code == 403 and 'id="err-lat"' in r.text and "di luar wilayah tugas Anda" in r.text
    assert company_row(data, cid) == before
    assert data.query("SELECT count(*) FROM audit_log WHERE action = 'company.update' AND outcome = 'denied' "
                      "AND username = %s", (client.username,))[0][0] == 1


def test_inspection_edit_with_team_and_free_text_warning(data):
    client = browser(data, "editor")
    iid = data.inspection_ids[0]
    values = form_of(client.get(f"/inspections/{iid}/edit").text)
    assert sorted(values["team"]) == ["imigrasi", "kesbangpol"]
    r = client.post(f"/inspections/{iid}/edit", data={**values, "team": []})
    assert r.status_code == 400 and 'id="err-team"' in r.text
    r = client.post(f"/inspections/{iid}/edit", data={**values, "team": ["polda", "imigrasi"],
                                                      "notes": "paspor EZ9911001 ditahan", "status": "in_progress"})
    assert r.status_code == 200 and "Perubahan tersimpan" in r.text and "alert-warning" in r.text
    assert data.query("SELECT team, status FROM inspections WHERE id = %s", (iid,))[0] == (["imigrasi", "polda"], "in_progress")
    (detail,) = data.query("SELECT detail FROM audit_log WHERE action = 'inspection.update' AND target = %s "
                           "ORDER BY id DESC LIMIT 1", (f"inspection:{iid}",))[0]
    assert "EZ9911001" not in str(detail)


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), "green")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PantauCam"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (2.0, 32.0, 0.0),
                                 ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (112.0, 57.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return out.getvalue()


def new_inspection(client, cid: int, day: str, files, **extra):
    body = {"csrf_token": client.cookies["pantau_csrf"], "inspected_on": day, "team": ["disnakertrans"],
            "finding": "expired_permit", "notes": "", "follow_up": "surat teguran", "status": "open",
            "lat": "-2.5401", "lon": "112.9502", **extra}
    return client.post(f"/companies/{cid}/inspections/new", data=body, files=files)


def test_new_inspection_with_photos_stores_only_a_copy_without_gps(data):
    client = browser(data, "editor", ["62.02"])
    cid = data.ids_in("62.02")[0]
    form = client.get(f"/companies/{cid}/inspections/new")
    assert "Gunakan lokasi saya" in form.text
    # Only this form may ask for the position, and only for itself; the rest of the site may not.
    assert "geolocation=(self)" in form.headers["permissions-policy"]
    assert "geolocation=()" in client.get(f"/companies/{cid}").headers["permissions-policy"]
    png = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(png, "PNG")
    r = new_inspection(client, cid, "2026-02-03", [("photos", ("paspor ZHANG.jpg", jpeg_with_gps(), "image/jpeg")),
                                                   ("photos", ("b.png", png.getvalue(), "image/png"))])
    assert r.status_code == 303, r.text
    (iid, lon, lat), = data.query("SELECT id, ST_X(location), ST_Y(location) FROM inspections "
                                  "WHERE company_id = %s AND inspected_on = '2026-02-03'", (cid,))
    assert (round(lon, 4), round(lat, 4)) == (112.9502, -2.5401)
    photo_ids = [row[0] for row in data.query("SELECT id FROM inspection_photos WHERE inspection_id = %s ORDER BY id", (iid,))]
    assert len(photo_ids) == 2
    audit = data.query("SELECT detail FROM audit_log WHERE action = 'inspection.create' AND target = %s", (f"inspection:{iid}",))
    assert audit[0][0]["photos"] == 2 and "ZHANG" not in str(audit)

    viewer = browser(data, "viewer", ["62.02"])
    assert f'href="/inspections/{iid}/photos/{photo_ids[0]}"' in viewer.get(f"/companies/{cid}").text
    r = viewer.get(f"/inspections/{iid}/photos/{photo_ids[0]}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == f'attachment; filename="pemeriksaan-{iid}-foto-{photo_ids[0]}.jpg"'
    img = Image.open(io.BytesIO(r.content))
    assert img.format == "JPEG" and not img.getexif() and not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PantauCam" not in r.content
    assert viewer.get(f"/inspections/{iid}/photos/{photo_ids[1]}").headers["content-type"] == "image/png"
    # Outside the scope, or the photo of another inspection: absent.
    outsider = browser(data, "viewer", ["62.71"])
    assert outsider.get(f"/inspections/{iid}/photos/{photo_ids[0]}").status_code == 404
    assert viewer.get(f"/inspections/{iid + 1}/photos/{photo_ids[0]}").status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.jpg", b"MZ\x90\x00 not an image at all", "bukan foto JPEG atau PNG"),
    ("a.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "HEIC"),
    ("a.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10), "lebih dari 10 MB"),
])
def test_bad_photos_are_refused_beside_the_field_and_nothing_is_stored(data, name, content, message):
    client = browser(data, "editor")
    cid = data.company_ids[0]
    r = new_inspection(client, cid, "2026-03-04", [("photos", (name, content, "image/jpeg"))])
    assert r.status_code == 400
    err = re.search(r'id="err-photos">([^<]*)<', r.text).group(1)
    assert "foto ke-1" in err and message in err and name not in err
    assert data.query("SELECT count(*) FROM inspections WHERE company_id = %s AND inspected_on = '2026-03-04'",
                      (cid,))[0][0] == 0


def test_new_inspection_field_errors_and_duplicate(data):
    client = browser(data, "editor")
    cid = data.company_ids[1]
    r = new_inspection(client, cid, "", [], team=[], lat="abc")
    assert r.status_code == 400
    for field in ("inspected_on", "team", "lat"):
        assert f'id="err-{field}"' in r.text, field
    assert new_inspection(client, cid, "2026-04-05", []).status_code == 303
    r = new_inspection(client, cid, "2026-04-05", [])
    assert r.status_code == 409 and 'id="err-inspected_on"' in r.text


def test_a_new_inspection_naming_a_person_warns_its_writer(data):
    client = browser(data, "editor")
    cid = data.company_ids[0]
    r = new_inspection(client, cid, "2026-05-06", [], notes="paspor EZ9911001 ditahan sementara")
    assert r.status_code == 303 and "/edit?tercatat=1" in r.headers["location"]
    page = client.get(r.headers["location"])
    assert "alert-warning" in page.text and "Catatan" in page.text
    viewer = browser(data, "viewer")
    assert "EZ9911001" not in viewer.get(f"/companies/{cid}").text


def test_saving_an_untouched_form_changes_nothing(data):
    cid = data.company_ids[1]
    conn = psycopg2.connect(data.url)  # a point with more digits than a form would round to
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE companies SET geom = ST_SetSRID(ST_MakePoint(112.9612345678901, -2.5312345678901), 4326) "
                    "WHERE id = %s", (cid,))
    conn.close()
    client = browser(data, "editor")
    before = company_row(data, cid)
    values = form_of(client.get(f"/companies/{cid}/edit").text)
    assert client.post(f"/companies/{cid}/edit", data=values).status_code == 303
    assert company_row(data, cid) == before  # same version, the point not rounded
    (detail,) = data.query("SELECT detail FROM audit_log WHERE action = 'company.update' AND target = %s "
                           "AND username = %s", (f"company:{cid}", client.username))[0]
    assert detail["changed"] == []
