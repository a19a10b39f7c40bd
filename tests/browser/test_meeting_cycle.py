"""Issue 19's first acceptance line, in a real headless Chromium: Kesbangpol records a meeting and
adds recommendations for Disnakertrans and Imigrasi; each agency logs in and updates its own (with a
note and evidence) and fails to update the other's; then the next quarter's report is made through
the report job route and its follow-up and change tables are read back with pdftotext. Screenshots of
/meetings, /meetings/{id} and a recommendation at 1280x800 and 390x844."""

from __future__ import annotations

import hashlib
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from geo import clock, formatting
from geo.reports.period import Quarter
from tests.browser import test_maps_browser as maps_browser
from tests.browser.test_maps_browser import Recorder, shot
from tests.seed import seed

browser = maps_browser.browser
pytestmark = pytest.mark.slow  # Chromium against a server of its own; the report is built for real

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
TODAY = clock.today()  # the server's clock is the real one, in the province's time
MEETING_PERIOD = Quarter.containing(TODAY).previous()
NEXT_PERIOD = MEETING_PERIOD.next()  # the quarter after the meeting's: the next meeting's pack
HELD_ON = TODAY - timedelta(days=1)
DN_TEXT = "Periksa izin kerja TKA di PT Sawit Sampit Lestari"
IM_TEXT = "Patroli Tim PORA di penginapan Palangka Raya"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


@pytest.fixture(scope="module")
def users(data):
    return {key: data.make_user(role, None, agency) for key, (role, agency) in {
        "kesbangpol": ("editor", "kesbangpol"), "disnakertrans": ("editor", "disnakertrans"),
        "imigrasi": ("editor", "imigrasi"), "viewer": ("viewer", "kesbangpol")}.items()}


def open_as(browser, data, users, who: str, path: str, size=(1280, 800)):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page = context.new_page()
    recorder = Recorder(page)
    username, password = users[who]
    page.goto(f"{data.server.base}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{data.server.base}{path}*")
    return context, page, recorder


def csrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "pantau_csrf")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def add_recommendation(page, text: str, agency: str, due: date, regency: str, company: str | None = None) -> None:
    page.click("#new-recommendation > summary")
    page.fill("#f-text", text)
    page.select_option("#f-agency", agency)
    page.fill("#f-due", due.isoformat())
    page.check(f"#f-regions input[value='{regency}']")
    if company:
        page.fill("#company-search", company[:12])
        page.locator("#company-results button", has_text=company).first.click()
        assert page.locator("#company-picked .company-chip", has_text=company).count() == 1
    with page.expect_navigation():  # the page may still show the previous save's notice
        page.click("#save-recommendation")
    page.wait_for_selector("#saved")


def test_meeting_cycle(browser, data, users, tmp_path):
    # 1. Kesbangpol records the meeting and its recommendations.
    ctx, page, rec = open_as(browser, data, users, "kesbangpol", "/meetings")
    page.click("#new-meeting > summary")
    page.fill("#f-date", HELD_ON.isoformat())
    page.fill("#f-period", str(MEETING_PERIOD))
    page.fill("#f-place", "Aula Kesbangpol Provinsi Kalimantan Tengah")
    for code in ("disnakertrans", "imigrasi", "kesbangpol"):
        page.check(f"#f-agencies input[value={code}]")
    page.fill("#f-minutes", "Rapat dibuka pukul 09.00 oleh Kepala Kesbangpol.\nHadir enam instansi.")
    page.set_input_files("#f-minutes-file", files=[{"name": "notulen.pdf", "mimeType": "application/pdf",
                                                    "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.click("#save-meeting")
    page.wait_for_selector("#saved")
    meeting_url = page.url.split("?")[0]
    meeting_id = int(meeting_url.rsplit("/", 1)[1])
    add_recommendation(page, DN_TEXT, "disnakertrans", TODAY - timedelta(days=1), "62.02", "PT Sawit Sampit Lestari")
    add_recommendation(page, IM_TEXT, "imigrasi", TODAY + timedelta(days=30), "62.71")
    rows = page.locator("#recommendations tbody tr")
    assert rows.count() == 2
    dn_row = page.locator("#recommendations tbody tr[data-agency=disnakertrans]")
    assert dn_row.locator(".overdue-badge").inner_text() == "Terlambat"  # due yesterday, still open
    assert page.locator("#recommendations tbody tr[data-agency=imigrasi] .overdue-badge").count() == 0
    assert "PT Sawit Sampit Lestari" in dn_row.inner_text()
    rec_ids = {a: int(page.locator(f"#recommendations tbody tr[data-agency={a}]").get_attribute("id")[4:])
               for a in ("disnakertrans", "imigrasi")}
    assert not rec.errors, rec.errors
    ctx.close()

    # 2. Each agency updates its own and fails to update the other's.
    notes = {"disnakertrans": "Surat teguran dikirim ke perusahaan", "imigrasi": "Patroli selesai, tidak ada temuan"}
    statuses = {"disnakertrans": ("diproses", "Diproses"), "imigrasi": ("selesai", "Selesai")}
    for agency, other in (("disnakertrans", "imigrasi"), ("imigrasi", "disnakertrans")):
        ctx, page, rec = open_as(browser, data, users, agency, f"/meetings/{meeting_id}")
        page.locator(f"#rec-{rec_ids[agency]} a", has_text="Perbarui").click()
        page.wait_for_selector("#update-form")
        page.select_option("#f-status", statuses[agency][0])
        page.fill("#f-note", notes[agency])
        page.set_input_files("#f-evidence", files=[{"name": f"bukti-{agency}.png", "mimeType": "image/png",
                                                    "buffer": PNG}])
        with page.expect_navigation():
            page.click("#save-update")
        page.wait_for_selector("#saved")
        assert page.locator("#rec-status").inner_text() == statuses[agency][1]
        history = page.locator("#history").inner_text()
        assert notes[agency] in history and f"bukti-{agency}.png" in history and "Rekomendasi dibuat" in history
        # the other agency's: no form on its page, and the server refuses a forged update (page and API)
        other_url = f"{data.server.base}/meetings/{meeting_id}/recommendations/{rec_ids[other]}"
        page.goto(other_url)
        assert page.locator("#update-form").count() == 0 and page.locator("#read-only").is_visible()
        forged = page.request.post(other_url, multipart={"csrf_token": csrf(page), "version": "1",
                                                         "status": "selesai", "note": "bukan milik kami"})
        assert forged.status == 403
        patched = page.request.patch(f"{data.server.base}/api/recommendations/{rec_ids[other]}",
                                     data={"status": "selesai", "note": "bukan milik kami"},
                                     headers={"X-CSRF-Token": csrf(page), "If-Match": '"1"'})
        assert patched.status in (403, 412)  # 412 once the other agency moved it on: either way refused
        assert not rec.errors, rec.errors
        ctx.close()
    final = dict((r[0], (r[1], r[2])) for r in data.query(
        "SELECT agency, status, version FROM recommendations WHERE meeting_id = %s", (meeting_id,)))
    assert final == {"disnakertrans": ("diproses", 2), "imigrasi": ("selesai", 2)}
    assert data.query("SELECT count(*) FROM audit_log WHERE action = 'recommendation.update' AND outcome = 'denied' "
                      "AND target = ANY(%s)", ([f"recommendation:{i}" for i in rec_ids.values()],))[0][0] >= 2

    # 3. Screenshots, at both sizes: the list and the meeting as Kesbangpol sees them.
    for name, (w, h) in VIEWPORTS.items():
        ctx, page, rec = open_as(browser, data, users, "kesbangpol", "/meetings", (w, h))
        assert no_horizontal_scroll(page)
        shot(page, f"meetings-{name}", tmp_path)
        page.goto(meeting_url)
        assert no_horizontal_scroll(page)
        shot(page, f"meeting-{name}", tmp_path)
        assert not rec.errors, rec.errors
        ctx.close()
        # the responsible agency's view: its update form and the history
        ctx, page, rec = open_as(browser, data, users, "disnakertrans",
                                 f"/meetings/{meeting_id}/recommendations/{rec_ids['disnakertrans']}", (w, h))
        assert page.locator("#update-form").is_visible() and no_horizontal_scroll(page)
        shot(page, f"meeting-recommendation-{name}", tmp_path)
        assert not rec.errors, rec.errors
        ctx.close()

    # 4. The next quarter's report: the follow-up table and the change table, read back from the PDF.
    ctx, page, rec = open_as(browser, data, users, "kesbangpol", "/")
    job = page.request.post(f"{data.server.base}/api/reports/jobs", data={"period": str(NEXT_PERIOD), "format": "pdf"},
                            headers={"X-CSRF-Token": csrf(page)})
    assert job.status == 202, job.text()
    status_url = f"{data.server.base}{job.json()['status_url']}"
    deadline = time.monotonic() + 600
    while True:
        state = page.request.get(status_url).json()
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert state["status"] == "done", state
    pdf = page.request.get(f"{data.server.base}{state['download_url']}")
    target = tmp_path / "pack.pdf"
    target.write_bytes(pdf.body())
    text = " ".join(pdf_text(target).split())
    # the pack is kept with the meeting it was made for, with its hash
    kept = page.request.post(f"{data.server.base}/api/meetings/{meeting_id}/reports", data={"job_id": job.json()["id"]},
                             headers={"X-CSRF-Token": csrf(page)})
    assert kept.status == 201, kept.text()
    page.goto(meeting_url)
    assert hashlib.sha256(pdf.body()).hexdigest() in page.locator(".meeting-report").inner_text()
    ctx.close()
    assert "Tindak lanjut rekomendasi rakor sebelumnya" in text
    assert "Perubahan sejak rakor terakhir" in text
    lines = pdf_text(target).splitlines()
    # Each recommendation is one table row: its first line holds the start of every cell.
    dn = next(line for line in lines if "Periksa izin kerja TKA" in line)
    im = next(line for line in lines if "Patroli Tim PORA" in line)
    for needle in ("Disnakertrans", "Diproses", "Terlambat", "Surat teguran"):
        assert needle in dn, (needle, dn)
    for needle in ("Imigrasi", "Selesai", "Patroli selesai"):
        assert needle in im, (needle, im)
    assert "Terlambat" not in im
    assert f"Rakor terakhir: {formatting.long_date(HELD_ON)}" in text
    changes = text[text.rindex("Perubahan sejak rakor terakhir"):]
    assert "Kabupaten Kotawaringin Timur" in changes and "Kota Palangka" in changes
