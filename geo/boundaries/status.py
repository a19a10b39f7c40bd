"""What boundaries the database holds: counts per level and the issues of the latest loads."""

from __future__ import annotations

from geo.db import Connection, transaction


def boundary_counts(conn: Connection) -> dict[str, int]:
    with transaction(conn) as cur:
        cur.execute("SELECT level, count(*) FROM boundaries GROUP BY level")
        found = dict(cur.fetchall())
    return {level: found.get(level, 0) for level in ("province", "regency", "district", "village")}


def latest_issues(conn: Connection) -> list[dict]:
    """Issues recorded by the most recent load of each set."""
    with transaction(conn) as cur:
        cur.execute(
            """SELECT l.layer_set, l.finished_at, i.code, i.level, i.kind, i.detail
                 FROM boundary_issues i
                 JOIN boundary_loads l ON l.id = i.load_id
                WHERE l.id IN (SELECT max(id) FROM boundary_loads GROUP BY layer_set)
                ORDER BY l.layer_set, i.kind, i.code"""
        )
        return [
            {"set": s, "loaded_at": t.isoformat(), "code": c, "level": lv, "kind": k, "detail": d}
            for s, t, c, lv, k, d in cur.fetchall()
        ]
