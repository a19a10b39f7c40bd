"""People and access in a real headless Chromium (#18 item 5 acceptance): an admin creates a user of
one regency (62.02) and gets the one-time link; the user sets a password through it, logs in and sees
only that regency (home table, map data; a 62.71 company page 404s); the link fails on second use.
A non-admin sees no admin links and gets 403. The admin filters the audit trail by the new user and
exports CSV. Screenshots of /admin/users, the user form, /audit and /account/tokens at both sizes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.browser import fixtures
from tests.browser import test_maps_browser as maps_browser
from tests.browser.data import COMPANIES, count
from tests.browser.test_maps_browser import Recorder, log_in, shot

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures
browser = maps_browser.browser
pytestmark = pytest.mark.slow  # Chromium against a server of its own

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
NEW_USER = "sari.kotim"
NEW_PASSWORD = "rotan hijau di tepi mentaya"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def nav_links(page) -> list[str]:
    return page.locator("nav.navbar a").evaluate_all("as => as.map(a => a.getAttribute('href'))")


def test_admin_creates_a_regency_user_who_sees_only_that_regency(browser, maps_server, maps_db, tmp_path):
    base = maps_server.base
    admin = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    rec = Recorder(admin)
    log_in(admin, base, "admin-peta", "/admin/users")
    assert "/admin/users" in nav_links(admin) and "/audit" in nav_links(admin)
    admin.click("#new-user")
    admin.wait_for_url(f"{base}/admin/users/new")
    admin.fill("#username", NEW_USER)
    admin.check("#role-viewer")
    admin.select_option("#agency", "pemkab")
    admin.check("#scope-province")
    assert admin.locator("#regency-choices input[type=checkbox]").count() == 14
    admin.check("#reg-62\\.02")  # ticking a regency chooses "only the ticked regencies" (static/js/admin-users.js)
    assert admin.is_checked("#scope-regencies") and not admin.is_checked("#scope-province")
    shot(admin, "admin-user-form-desktop", tmp_path)
    admin.click("#save-user")
    admin.wait_for_selector("#one-time-link")
    link = admin.input_value("#one-time-link")
    shot(admin, "admin-link-desktop", tmp_path)
    assert link.startswith(f"{base}/reset/")

    # The new user, in a browser of their own (no admin cookies), sets a password through the link.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    user = context.new_page()
    user_rec = Recorder(user)
    user.goto(link)
    assert user.inner_text("#reset-username") == NEW_USER
    user.fill("#password", NEW_PASSWORD)
    user.fill("#password2", NEW_PASSWORD)
    shot(user, "reset-phone", tmp_path)
    user.click("#reset-save")
    user.wait_for_selector("#reset-done")
    # Single use: the link now fails.
    response = user.goto(link)
    assert response.status == 404 and user.locator("#reset-error").is_visible()
    assert user.locator("#reset-form").count() == 0

    user.goto(f"{base}/login?next=/")
    user.fill("#username", NEW_USER)
    user.fill("#password", NEW_PASSWORD)
    user.click("button[type=submit]")
    user.wait_for_url(f"{base}/")
    names = user.locator("#regency-table tbody tr td:first-child").all_inner_texts()
    assert names == ["Kotawaringin Timur"], names
    points = user.request.get(f"{base}/maps/data/companies.json").json()
    assert points["count"] == count(regency="62.02") == len(points["points"])
    ids = fixtures_ids(maps_db)
    assert {p[0] for p in points["points"]} == {ids[c[0]] for c in COMPANIES if c[2] == "62.02"}
    other = ids[next(c[0] for c in COMPANIES if c[2] == "62.71")]
    assert user.goto(f"{base}/companies/{other}").status == 404
    mine = ids[next(c[0] for c in COMPANIES if c[2] == "62.02")]
    assert user.goto(f"{base}/companies/{mine}").status == 200
    # Not an admin: no admin links, and the pages refuse.
    user.goto(f"{base}/")
    assert "/admin/users" not in nav_links(user) and "/audit" not in nav_links(user)
    assert user.goto(f"{base}/admin/users").status == 403
    assert user.goto(f"{base}/audit").status == 403
    # The refused pages (404, 403) are the only console errors: no script failed.
    assert [e for e in user_rec.errors if not e.startswith("Failed to load resource")] == [], user_rec.errors
    context.close()

    # The admin reads what the new user did and exports it.
    admin.goto(f"{base}/admin/users")
    assert admin.locator(f"#users tr[data-username='{NEW_USER}']").count() == 1
    admin.click("a[href='/audit']")
    admin.fill("#f-user", NEW_USER)
    admin.click("#apply-filter")
    admin.wait_for_url("**/audit?user=*")
    actions = admin.locator("#audit-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.action)")
    assert "user.password_link" in actions and "auth.login" in actions
    assert set(admin.locator("#audit-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.username)")) == {NEW_USER}
    with admin.expect_download() as info:
        admin.click("#export-csv")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["id", "waktu", "pengguna"] and len(rows) - 1 == len(actions)
    assert {r[2] for r in rows[1:]} == {NEW_USER}
    assert not rec.errors, rec.errors


def fixtures_ids(maps_db) -> dict[str, int]:
    return maps_db[1]


@pytest.mark.parametrize("view", VIEWPORTS)
def test_admin_pages_at_both_sizes(browser, maps_server, tmp_path, view):
    """Each page at 1280x800 and 390x844: no sideways scrolling, the main controls on screen."""
    w, h = VIEWPORTS[view]
    page = browser.new_page(viewport={"width": w, "height": h})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/admin/users")
    assert page.locator("#users tbody tr").count() >= 3
    shot(page, f"admin-users-{view}", tmp_path)
    assert no_sideways_scroll(page), page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(0, 5).map(e => e.tagName + '.' + e.className)""")
    page.click("#users a:text('viewer-peta')")
    page.wait_for_selector("#user-form")
    assert no_sideways_scroll(page)
    shot(page, f"admin-user-edit-{view}", tmp_path)
    page.goto(f"{maps_server.base}/admin/users/new")
    assert no_sideways_scroll(page)
    if view == "phone":
        shot(page, "admin-user-form-phone", tmp_path)
    page.goto(f"{maps_server.base}/audit")
    assert page.locator("#audit-table tbody tr").count() >= 1
    assert no_sideways_scroll(page)
    shot(page, f"audit-{view}", tmp_path)
    page.goto(f"{maps_server.base}/account/tokens")
    page.fill("#token-name", "sinkronisasi SIMKIM")
    page.fill("#token-password", fixtures.PASSWORD)
    page.click("#create-token")
    page.wait_for_selector("#new-token")
    assert page.input_value("#new-token").startswith("pt_")
    assert no_sideways_scroll(page)
    shot(page, f"account-tokens-{view}", tmp_path)
    assert not rec.errors, rec.errors
