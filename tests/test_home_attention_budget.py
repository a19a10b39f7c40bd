"""The home page never hangs on its "Perlu perhatian" panel: while the panel's queries cannot finish
(here: another session holds a lock on the discrepancy facts), the page answers within the panel's
budget with a note and a link to /attention; then the panel is back."""

from __future__ import annotations

import time

import httpx
import psycopg2

from api.web import home

ATTENTION_BUDGET_S = getattr(home, "ATTENTION_BUDGET_S", 2.0)  # (getattr: the test also runs on older code)


def test_home_answers_with_a_note_while_the_panel_is_stuck(seeded):
    headers = seeded.headers("analyst", ["62.02"])
    with httpx.Client(base_url=seeded.server.base, timeout=60) as client:
        normal = client.get("/", headers=headers)
        assert normal.status_code == 200 and 'data-kind="open_discrepancies"' in normal.text
        assert "attention-unavailable" not in normal.text

        blocker = psycopg2.connect(seeded.url)
        try:
            with blocker.cursor() as cur:
                cur.execute("LOCK TABLE worker_report_counts IN ACCESS EXCLUSIVE MODE")
            start = time.monotonic()
            stuck = client.get("/", headers=headers, timeout=ATTENTION_BUDGET_S + 8)
            took = time.monotonic() - start
        finally:
            blocker.rollback()
            blocker.close()
        assert stuck.status_code == 200, stuck.text
        assert took < ATTENTION_BUDGET_S + 5
        assert 'id="attention-unavailable"' in stuck.text and 'href="/attention"' in stuck.text
        assert "data-kind=" not in stuck.text.split('id="attention"', 1)[1].split("</section>", 1)[0]

        again = client.get("/", headers=headers)
        assert again.status_code == 200 and 'data-kind="open_discrepancies"' in again.text
