"""/exports over HTTP against a real server (issue #18 item 2): each role's choices, the hand-over to
the export API (scoped, audited), and a viewer's forged requests for personal data getting none."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.seed import COMPANIES
from tests.test_web_discrepancies import login

pytestmark = pytest.mark.slow  # a server of its own (the `seeded` fixture)


def kinds_offered(html: str) -> set[str]:
    select = html[html.index('id="e-kind"'):html.index("</select>", html.index('id="e-kind"'))]
    return set(re.findall(r'<option value="([a-z_]+)"', select))


def download(client: httpx.Client, **params) -> httpx.Response:
    """What the page's form does: GET /exports/download, then the API it hands over to."""
    r = client.get("/exports/download", params=params)
    if r.status_code != 303:
        return r
    assert r.headers["location"].startswith(f"/api/exports/{params['kind']}?")
    return client.get(r.headers["location"])


def test_viewer_gets_no_personal_option_and_no_personal_data(seeded):
    viewer = login(seeded, "viewer")
    page = viewer.get("/exports")
    assert page.status_code == 200
    assert kinds_offered(page.text) == {"companies", "workers", "inspections", "lodgings", "activities"}
    assert 'name="personal"' not in page.text and 'id="no-personal"' in page.text
    assert 'href="/exports"' in page.text  # the navigation link
    r = download(viewer, kind="workers", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "nomor_paspor" not in r.text and not any(s in r.text for s in seeded.secrets)
    # Forged: personal data asked for by hand, on the page's route and on the API.
    for params in ({"kind": "workers", "format": "csv", "personal": "true"},
                   {"kind": "foreign_nationals", "format": "csv"},
                   {"kind": "inspections", "format": "xlsx", "personal": "true"}):
        r = viewer.get("/exports/download", params=params)
        assert r.status_code == 403 and not any(s in r.text for s in seeded.secrets), params
        api = viewer.get(f"/api/exports/{params['kind']}", params={k: v for k, v in params.items() if k != "kind"})
        assert api.status_code == 403 and not any(s in api.text for s in seeded.secrets), params


def test_analyst_chooses_personal_data_and_the_export_is_audited(seeded):
    analyst = login(seeded, "analyst")
    page = analyst.get("/exports").text
    assert "foreign_nationals" in kinds_offered(page) and 'name="personal"' in page
    without = download(analyst, kind="workers", format="csv", personal="false")
    assert without.status_code == 200 and "nomor_paspor" not in without.text
    assert not any(name in without.text for name in seeded.names)
    with_names = download(analyst, kind="workers", format="csv", personal="true")
    assert with_names.status_code == 200 and all(name in with_names.text for name in seeded.names)
    actions = [a for (a,) in seeded.query("SELECT action FROM audit_log WHERE username = %s ORDER BY id",
                                          (analyst.username,)) if a.startswith(("export.", "personal.export"))]
    assert actions == ["export.workers", "personal.export"]


def test_filters_formats_and_scope(seeded):
    editor = login(seeded, "editor", ["62.02"])
    page = editor.get("/exports").text
    regencies = page[page.index('id="e-regency"'):page.index("</select>", page.index('id="e-regency"'))]
    assert re.findall(r'<option value="(\d\d\.\d\d)"', regencies) == ["62.02"]
    r = download(editor, kind="companies", format="geojson")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    nibs = {f["properties"]["nib"] for f in r.json()["features"]}
    assert nibs == {c[0] for c in COMPANIES if c[5] == "62.02"}
    r = download(editor, kind="companies", format="csv", sector="jasa")
    assert r.status_code == 200 and COMPANIES[2][0] not in r.text  # 62.71's, outside the scope anyway
    r = download(editor, kind="companies", format="kml")
    assert r.status_code == 200 and "kml" in r.headers["content-type"]
    # A regency outside the scope chosen by hand: nothing of it.
    r = download(editor, kind="companies", format="csv", regency_code="62.71")
    assert r.status_code == 200 and COMPANIES[2][0] not in r.text and COMPANIES[2][1] not in r.text
    # A filter that does not apply to the kind, a bad format: the page says so.
    r = editor.get("/exports/download", params={"kind": "lodgings", "format": "csv", "sector": "jasa"})
    assert r.status_code == 400 and "tidak berlaku" in r.text and 'id="export-error"' in r.text
    r = editor.get("/exports/download", params={"kind": "companies", "format": "pdf"})
    assert r.status_code == 400
    r = editor.get("/exports/download", params={"kind": "companies", "format": "csv", "datetime": "kemarin"})
    assert r.status_code == 400 and "Filter tidak valid" in r.text
