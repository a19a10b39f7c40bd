"""The foreign nationals' map (issue 17 item 5) against a real server on the seeded data: counts per
region equal foreign_nationals_present grouped (computed here in SQL, not by the code under test),
a viewer's pages and map data hold no name, passport, permit number or residence point, small
counts are suppressed for roles without personal access, activity targets are masked for them,
lodgings show guest counts only, and a regency-scoped user gets nothing of another regency."""

from __future__ import annotations

import re

import httpx
import pytest

from geo import clock
from geo.redaction import MASK

pytestmark = pytest.mark.slow  # the session's seeded server

PAGES = ("/maps/foreign/province", "/maps/foreign/regency/62.71", "/maps/foreign/district/62.71.01",
         "/maps/foreign/regency/62.02", "/maps/foreign/district/62.02.06")


def get(seeded, path: str, role: str = "admin", regencies=None, **params) -> httpx.Response:
    return httpx.get(f"{seeded.server.base}{path}", params=params, headers=seeded.headers(role, regencies),
                     timeout=60)


def present(seeded, level: str, prefix: str, purpose: str | None = None) -> dict[str, int]:
    """Persons present today per region of `level` whose code starts with `prefix`: the presence rule
    grouped, independently of geo.maps."""
    rows = seeded.query(
        f"SELECT p.{level}_code, count(*) FROM foreign_nationals_present(%s) p "  # noqa: S608 - test constants
        f"WHERE p.{level}_code LIKE %s AND (%s::text IS NULL OR p.purpose = %s) GROUP BY 1",
        (clock.today(), prefix + "%", purpose, purpose))
    return dict(rows)


def totals(body: dict) -> dict[str, int]:
    return {code: r["total"] for code, r in body["regions"].items() if r["total"]}


@pytest.mark.parametrize(("level", "parent"), [("regency", "62"), ("district", "62.71"), ("district", "62.02"),
                                               ("village", "62.71.01"), ("village", "62.02.06")])
def test_counts_per_region_equal_the_presence_rule_grouped(seeded, level, parent):
    r = get(seeded, "/maps/data/foreign/regions.json", level=level, parent=parent)
    assert r.status_code == 200, r.text
    expected = present(seeded, level, parent + ".")
    assert totals(r.json()) == expected
    assert sum(expected.values()) > 0
    # Every region drawn gets a number, zero included.
    assert all(code.startswith(parent + ".") for code in r.json()["regions"])


def test_purpose_and_permit_filters(seeded):
    for purpose in ("studi", "bekerja", "keluarga"):
        r = get(seeded, "/maps/data/foreign/regions.json", level="regency", parent="62", purpose=purpose)
        assert totals(r.json()) == present(seeded, "regency", "62.", purpose), purpose
    r = get(seeded, "/maps/data/foreign/regions.json", level="regency", parent="62", permit_type="itap")
    assert totals(r.json()) == {"62.71": 1}  # JOHN's ITAP
    # Lodging-only guests (no stay: no purpose) have their own choice: TAN at the hotel in 62.71.
    r = get(seeded, "/maps/data/foreign/regions.json", level="regency", parent="62", purpose="tidak_diketahui")
    assert totals(r.json()) == {"62.71": 1}
    # Breakdowns with the Indonesian labels of the lookup tables, summing to the total.
    body = get(seeded, "/maps/data/foreign/regions.json", level="regency", parent="62").json()
    kotim = body["regions"]["62.02"]
    assert dict(map(tuple, kotim["by_purpose"])) == {"Bekerja": 3, "Keluarga/penyatuan keluarga": 1, "Penelitian": 1}
    assert sum(n for _, n in kotim["by_permit"]) == kotim["total"] == 5
    bad = get(seeded, "/maps/data/foreign/regions.json", level="regency", purpose="<script>")
    assert bad.status_code == 400


def residence_coordinates(seeded) -> list[str]:
    """The reported residence points of the seeded stays, as the map would write them."""
    rows = seeded.query("SELECT round(ST_X(geom)::numeric, 5), round(ST_Y(geom)::numeric, 5) "
                        "FROM foreign_national_stays WHERE location_source = 'reported'")
    assert rows
    return [f"{float(x)}" for x, _ in rows] + [f"{float(y)}" for _, y in rows]


def viewer_bodies(seeded, role: str = "viewer") -> dict[str, str]:
    bodies = {}
    for page in PAGES:
        r = get(seeded, page, role)
        assert r.status_code == 200, (page, r.text[:300])
        bodies[page] = r.text
        for url in re.findall(r'"(/maps/data/foreign/[^"]+)"', r.text):
            url = url.encode().decode("unicode_escape").replace("\\u0026", "&")
            d = httpx.get(f"{seeded.server.base}{url}", headers=seeded.headers(role), timeout=60)
            bodies[url] = d.text if d.status_code == 200 else ""
    return bodies


def test_a_viewer_never_sees_names_passports_or_residence_points(seeded):
    bodies = viewer_bodies(seeded)
    assert any("lodgings.json" in u for u in bodies) and any("activities.json" in u for u in bodies)
    assert not any("residences" in u for u in bodies), "the viewer's page names the residence layer's URL"
    coords = residence_coordinates(seeded)
    leaks = [f"{u}: {s}" for u, text in bodies.items() for s in [*seeded.secrets, *coords] if s in text]
    assert leaks == []
    assert get(seeded, "/maps/data/foreign/residences.json", "viewer").status_code == 403


def test_the_check_can_fail_an_admin_does_get_residence_points(seeded):
    r = get(seeded, "/maps/data/foreign/residences.json", "analyst")
    assert r.status_code == 200
    body = r.json()
    expected = seeded.query("SELECT count(*) FROM foreign_nationals_present(%s) WHERE source = 'stay'", (clock.today(),))
    assert body["count"] == expected[0][0] == 4
    text = r.text
    assert any(c in text for c in residence_coordinates(seeded))
    audited = seeded.query("SELECT detail FROM audit_log WHERE action = 'personal.read' "
                           "AND target = 'map:foreign_residences' AND username = %s", (seeded.username("analyst"),))
    assert audited and audited[-1][0] == {"foreign_nationals": 4}
    # The admin's page has the layer and its URL.
    assert "/maps/data/foreign/residences.json" in get(seeded, "/maps/foreign/province").text


def test_small_counts_are_suppressed_for_a_viewer(seeded):
    small = set()
    for level, parent in (("village", "62.71.01"), ("village", "62.02.06"), ("district", "62.71"), ("district", "62.02")):
        admin = get(seeded, "/maps/data/foreign/regions.json", level=level, parent=parent).json()
        small = {c for c, r in admin["regions"].items() if 0 < r["total"] < 3}
        if small:
            break
    assert small, "the seeded data has a region with 1-2 persons"
    viewer = get(seeded, "/maps/data/foreign/regions.json", "viewer", level=level, parent=parent).json()
    assert all(viewer["regions"][c]["total"] == "<3" for c in small)
    assert not any(isinstance(r["total"], int) and 0 < r["total"] < 3 for r in viewer["regions"].values())
    assert viewer["suppressed"] is True and admin["suppressed"] is False
    for r in viewer["regions"].values():
        assert not any(isinstance(n, int) and 0 < n < 3 for _, n in r["by_purpose"] + r["by_permit"])


def test_lodgings_carry_counts_never_guests(seeded):
    admin = get(seeded, "/maps/data/foreign/lodgings.json").json()
    by_name = {p[3]: p for p in admin["points"]}
    # Hotel Kahayan Seed: JOHN (checked in 3 days ago) and TAN (no check-out) now; LIM left 55 days ago.
    assert by_name["Hotel Kahayan Seed"][5:] == [2, 2]
    assert by_name["Losmen Mentaya Seed"][5:] == [1, 1]
    viewer = get(seeded, "/maps/data/foreign/lodgings.json", "viewer").json()
    assert {p[3]: p[5:] for p in viewer["points"]} == {"Hotel Kahayan Seed": ["<3", "<3"],
                                                       "Losmen Mentaya Seed": ["<3", "<3"]}
    for role in ("admin", "viewer"):
        text = get(seeded, "/maps/data/foreign/lodgings.json", role).text
        assert not [s for s in seeded.secrets if s in text]


def test_activity_targets_are_masked_for_a_viewer(seeded):
    admin = get(seeded, "/maps/data/foreign/activities.json").json()
    viewer = get(seeded, "/maps/data/foreign/activities.json", "viewer").json()
    a = {p["district"]: p["activities"] for p in admin["points"]}
    v = {p["district"]: p["activities"] for p in viewer["points"]}
    assert set(a) == set(v) == {"62.71.01", "62.02.06"}
    assert "OLIVIA PRIVATEWALKER" in a["62.71.01"][0]["targets"]
    assert "OLIVIA" not in v["62.71.01"][0]["targets"] and MASK in v["62.71.01"][0]["targets"]
    assert "PT Jasa Palangka Raya" in v["62.71.01"][0]["targets"]
    first = v["62.71.01"][0]
    assert (first["kind_label"], first["agencies"], first["findings"], first["follow_up"]) == (
        "Rapat koordinasi", "Imigrasi, Kesbangpol", "dua orang asing belum lapor alamat", "surat teguran")


def test_a_scoped_user_gets_nothing_of_another_regency(seeded):
    kotim = ["62.02"]
    regions = get(seeded, "/maps/data/foreign/regions.json", "analyst", kotim, level="regency", parent="62").json()
    assert set(regions["regions"]) == {"62.02"}
    lodgings = get(seeded, "/maps/data/foreign/lodgings.json", "analyst", kotim).json()
    assert [p[3] for p in lodgings["points"]] == ["Losmen Mentaya Seed"]
    acts = get(seeded, "/maps/data/foreign/activities.json", "analyst", kotim).json()
    assert [p["district"] for p in acts["points"]] == ["62.02.06"]
    res = get(seeded, "/maps/data/foreign/residences.json", "analyst", kotim).json()
    assert res["count"] == 2  # ANNA and WANG
    for path in ("/maps/data/foreign/lodgings.json", "/maps/data/foreign/activities.json",
                 "/maps/data/foreign/residences.json"):
        assert get(seeded, path, "analyst", kotim, region="62.71").status_code == 404
    assert get(seeded, "/maps/data/foreign/regions.json", "analyst", kotim, level="district",
               parent="62.71").status_code == 404
    assert get(seeded, "/maps/foreign/regency/62.71", "analyst", kotim).status_code == 403
    body = get(seeded, "/maps/data/foreign/regions.json", "analyst", kotim, level="district", parent="62.02").json()
    assert body["regions"] and all(c.startswith("62.02.") for c in body["regions"])
