"""The SQL the API runs for a request, for replaying with pgbench (the SQL floor).

Run as a subprocess: `python -m bench.capture [--warm-once] URL AUTH PATH...` prints JSON {path: {status, sql: [...]}}.
The app is created in-process and every psycopg2 connection it opens records the exact statements
it sends (psycopg2's cursor.query after parameter binding). Nothing is mocked: the requests run
against the real database. Statements about authentication and the audit trail are left out (they
are per-request bookkeeping, not the query), as are transaction control and SET.
"""

from __future__ import annotations

import json
import os
import re
import sys

import psycopg2
import psycopg2.extensions

RECORDED: list[str] = []
SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SET|SHOW|RESET)\b|\b(api_tokens|users|audit_log|schema_migrations)\b",
                  re.I)


class RecordingCursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):  # noqa: A002 - psycopg2's name
        try:
            return super().execute(query, vars)
        finally:
            if self.query:
                RECORDED.append(self.query.decode())


class RecordingConnection(psycopg2.extensions.connection):
    def cursor(self, *args, **kwargs):
        kwargs.setdefault("cursor_factory", RecordingCursor)
        return super().cursor(*args, **kwargs)


PLANNER_SET = re.compile(r"^\s*SET\s+LOCAL\s+([^;]+);\s*(.+)$", re.S | re.I)


def replayable(recorded: list[str]) -> list[str]:
    """The statements to replay. `SET LOCAL x = y; SELECT ...` (a planner setting for one query) becomes
    `SET x = y` for the session (pgbench keeps its connections, and autocommits each statement) and
    the SELECT."""
    out = []
    for query in recorded:
        settings = []
        while m := PLANNER_SET.match(query):
            settings.append(f"SET {m[1]}")
            query = m[2]
        if not SKIP.search(query):
            out += [*settings, query]
    return out


def main() -> None:
    # --warm-once: one warm-up request for all paths (many paths of one kind: they share what warms up)
    once = sys.argv[1] == "--warm-once"
    url, auth, *paths = sys.argv[1 + once:]
    os.environ["DATABASE_URL"] = url
    real_connect = psycopg2.connect

    def connect(*args, **kwargs):
        kwargs.setdefault("connection_factory", RecordingConnection)
        return real_connect(*args, **kwargs)

    psycopg2.connect = connect
    from fastapi.testclient import TestClient

    from api.main import app_from_env

    out = {}
    with TestClient(app_from_env()) as client:
        for i, path in enumerate(paths):
            if i == 0 or not once:
                client.get(path, headers={"Authorization": auth})  # warm-up: caches, first connection
            RECORDED.clear()
            r = client.get(path, headers={"Authorization": auth})
            out[path] = {"status": r.status_code, "sql": replayable(RECORDED)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
