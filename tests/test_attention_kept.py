"""The attention list's worker counts from the statistics' kept counts (geo.stats.aggregates): the
same numbers as the scan of the workers, before and after writes, for the province and each regency,
and the kept path is the one that answered (it brought the counts up to date first)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.security import Principal
from geo import clock
from geo.attention import BY_CODE, counts
from geo.db import connect, transaction
from tests.seed import seed

WORKER_KINDS = tuple(BY_CODE[k] for k in ("permits_expired_active", "permits_expiring_30d", "permits_expiring_90d"))
SCOPES = (None, "62.02", "62.71")


@pytest.fixture(scope="module")
def conn(server_url, template_db):
    seeded = seed(server_url, template_db, serve=False)
    c = connect(seeded.url)
    yield c
    c.close()
    seeded.close()


def _ready(conn) -> bool:
    with transaction(conn) as cur:
        cur.execute("SELECT stats_ready(%s)", (clock.today(),))
        return cur.fetchone()[0]


def _both(conn) -> dict:
    """{scope: (kept, scanned)}; asserts the kept path answered."""
    today = clock.today()
    out = {}
    for regency in SCOPES:
        asker = Principal("uji", "analyst", "kesbangpol", (regency,) if regency else None)
        kept = counts(conn, asker, today, kinds=WORKER_KINDS)
        assert _ready(conn), "the kept counts did not answer"
        out[regency] = (kept, counts(conn, asker, today, kinds=WORKER_KINDS, kept=False))
    return out


def _write(conn, sql: str, params=()) -> None:
    with transaction(conn) as cur:
        cur.execute(sql, params)


def test_kept_worker_counts_equal_the_scan_before_and_after_writes(conn):
    today = clock.today()
    for kept, scanned in _both(conn).values():
        assert kept == scanned
    # Every active worker of 62.02 into the 30 days, one ended, one expired: the counts move.
    _write(conn, """UPDATE foreign_workers w SET permit_valid_until = %s, itas_valid_until = NULL
                     FROM companies c WHERE c.id = w.company_id AND c.regency_code = '62.02'""",
           (today + timedelta(days=10),))
    assert not _ready(conn)
    after = _both(conn)
    for kept, scanned in after.values():
        assert kept == scanned
    assert after["62.02"][0]["permits_expiring_30d"] > 0
    assert after["62.02"][0]["permits_expiring_30d"] == after["62.02"][0]["permits_expiring_90d"]
    _write(conn, """UPDATE foreign_workers SET permit_valid_until = %s
                     WHERE id = (SELECT min(w.id) FROM foreign_workers w JOIN companies c ON c.id = w.company_id
                                  WHERE c.regency_code = '62.02' AND w.status = 'active')""",
           (today - timedelta(days=3),))
    _write(conn, """UPDATE foreign_workers SET status = 'departed'
                     WHERE id = (SELECT max(w.id) FROM foreign_workers w JOIN companies c ON c.id = w.company_id
                                  WHERE c.regency_code = '62.02' AND w.status = 'active')""")
    last = _both(conn)
    for kept, scanned in last.values():
        assert kept == scanned
    assert last["62.02"][0]["permits_expired_active"] == after["62.02"][0]["permits_expired_active"] + 1
    assert last["62.02"][0]["permits_expiring_30d"] == after["62.02"][0]["permits_expiring_30d"] - 2
    assert last[None][0]["permits_expired_active"] == last["62.02"][0]["permits_expired_active"] + \
        last["62.71"][0]["permits_expired_active"]


def test_another_day_is_counted_from_the_workers(conn):
    """A day the kept counts are not counted on (a digest of yesterday) reads the workers."""
    day = clock.today() - timedelta(days=40)
    asker = Principal("uji", "analyst", "kesbangpol", None)
    assert counts(conn, asker, day, kinds=WORKER_KINDS) == counts(conn, asker, day, kinds=WORKER_KINDS, kept=False)
