"""GET /api/search (the map search box, #15 item 12) against a real server: regions of every level
and companies by name, only within the user's regencies, never a worker's personal data."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow  # the seeded server


def get(seeded, q: str, role: str = "admin", regencies: list[str] | None = None, **params) -> httpx.Response:
    return httpx.get(f"{seeded.server.base}/api/search", params={"q": q, **params},
                     headers=seeded.headers(role, regencies), timeout=30)


def test_finds_regions_of_every_level_and_companies(seeded):
    body = get(seeded, "Mentaya", limit=50).json()
    expected = {code for (code,) in seeded.query("SELECT code FROM boundaries WHERE name ILIKE '%%Mentaya%%'")}
    found = {r["code"]: r for r in body["regions"]}
    assert expected <= set(found)
    assert {found[c]["level"] for c in expected} == {"district", "village"}
    assert found["62.02.03"]["href"] == "/maps/district/62.02.03"
    assert found["62.02.03"]["label"] == "Kec. Mentaya Hulu (Kotawaringin Timur)"
    assert found["62.02.12.1001"]["href"] == "/maps/district/62.02.12#focus=62.02.12.1001"
    assert [c["name"] for c in body["companies"]] == ["PT Mentaya Olah Sawit"]
    # Province and regency too.
    assert [r["code"] for r in get(seeded, "Kalimantan Tengah").json()["regions"]][0] == "62"
    assert get(seeded, "Kotawaringin Timur").json()["regions"][0]["code"] == "62.02"


@pytest.mark.parametrize(("regency", "q", "absent"), [
    ("62.71", "Mentaya", ("62.02", "PT Mentaya Olah Sawit")),
    ("62.02", "Palangka", ("62.71", "PT Jasa Palangka Raya")),
    ("62.71", "Kalimantan", ("62", None)),
])
def test_a_scoped_user_finds_nothing_outside_its_regencies(seeded, regency, q, absent):
    for role in ("viewer", "analyst"):
        body = get(seeded, q, role, [regency], limit=50).json()
        assert all(r["code"].startswith(regency) for r in body["regions"]), body["regions"]
        assert all(c["regency_code"] == regency for c in body["companies"]), body["companies"]
        code, company = absent
        assert code not in [r["code"] for r in body["regions"]]
        assert company not in [c["name"] for c in body["companies"]]
    # The same question from the province's whole scope finds them.
    body = get(seeded, q, limit=50).json()
    assert absent[0] in [r["code"] for r in body["regions"]] or absent[1] in [c["name"] for c in body["companies"]]


def test_own_regency_is_found(seeded):
    body = get(seeded, "Palangka", "viewer", ["62.71"]).json()
    assert "PT Jasa Palangka Raya" in [c["name"] for c in body["companies"]]
    assert "62.71" in [r["code"] for r in body["regions"]]


@pytest.mark.parametrize("q", ["ZHANG", "PRIVATE", "EZ9911001", "ITASQ9911001"])
def test_worker_names_and_numbers_are_never_searched_or_returned(seeded, q):
    for role in ("admin", "viewer"):
        r = get(seeded, q, role)
        assert r.status_code == 200
        assert r.json()["companies"] == []  # (a village may be spelt alike: "Tehang" for ZHANG)
        assert not any(s in r.text for s in seeded.secrets)


@pytest.mark.parametrize("q", ["%%", "__", "%_", "\\%"])
def test_like_wildcards_match_themselves(seeded, q):
    body = get(seeded, q).json()
    assert body["regions"] == [] and body["companies"] == []


def test_bad_questions(seeded):
    for q in ("", "a", "x" * 101):
        r = get(seeded, q)
        assert r.status_code == 400
        assert "karakter" in r.json()["description"] and "characters" in r.json()["description"]
        assert "xxx" not in r.json()["description"]  # what was typed is not repeated back
    assert get(seeded, "Mentaya", limit=51).status_code == 400
    assert get(seeded, "Mentaya", limit=0).status_code == 400
    assert httpx.get(f"{seeded.server.base}/api/search", params={"q": "Mentaya"}, timeout=30).status_code == 401
