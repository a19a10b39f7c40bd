"""Checked uploads waiting for a decision (the web page /imports; migration 0104).

The commit imports the very bytes that were checked: they stay in the database under a random id
bound to the user who uploaded them, with their sha256 (compared again before the commit), until
they expire. Nothing of a client (a re-upload, a hash) is trusted.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from geo.db import Connection

TTL_HOURS = 24  # a checked upload waits this long for its commit


@dataclass(frozen=True)
class UploadFile:
    position: int
    kind: str
    file_name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Upload:
    id: str
    username: str
    source: str
    state: str  # checked | committing | committed | failed
    created_at: datetime
    expires_at: datetime
    check_reports: list[dict]
    commit_mode: str | None
    commit_reports: list[dict] | None
    files: list[UploadFile]


def save(conn: Connection, username: str, source: str, regencies, files: list[tuple[str, str, bytes]],
         reports: list[dict]) -> str:
    """Keep checked files (kind, file name, bytes) and their check reports; → the new upload id. Commits."""
    upload_id = secrets.token_urlsafe(32)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM import_uploads WHERE expires_at < now()")
        cur.execute("INSERT INTO import_uploads (id, username, source, regencies, state, expires_at, check_reports) "
                    "VALUES (%s, %s, %s, %s, 'checked', now() + make_interval(hours => %s), %s::jsonb)",
                    (upload_id, username, source, list(regencies) if regencies is not None else None, TTL_HOURS,
                     json.dumps(reports, default=str)))
        for position, (kind, name, data) in enumerate(files):
            cur.execute("INSERT INTO import_upload_files (upload_id, position, kind, file_name, sha256, size, data) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (upload_id, position, kind, name, hashlib.sha256(data).hexdigest(), len(data), data))
    conn.commit()
    return upload_id


def purge_expired(conn: Connection) -> None:
    """Forget expired uploads, their bytes (personal data of the file) included. Commits."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM import_uploads WHERE expires_at < now()")
    conn.commit()


def get(conn: Connection, upload_id: str, username: str) -> Upload | None:
    """The user's own upload, not expired (committed ones stay readable until then); else None."""
    with conn.cursor() as cur:
        cur.execute("SELECT id, username, source, state, created_at, expires_at, check_reports, commit_mode, "
                    "commit_reports FROM import_uploads WHERE id = %s AND username = %s AND expires_at > now()",
                    (upload_id, username))
        row = cur.fetchone()
        if row is None:
            conn.rollback()
            return None
        cur.execute("SELECT position, kind, file_name, sha256, size FROM import_upload_files "
                    "WHERE upload_id = %s ORDER BY position", (upload_id,))
        files = [UploadFile(*f) for f in cur.fetchall()]
    conn.rollback()
    return Upload(*row, files=files)


def claim(conn: Connection, upload_id: str, username: str) -> list[tuple[str, str, bytes]] | None:
    """Take a checked upload for a commit (one at a time: a second click finds it taken); → its files
    (kind, file name, bytes), each verified against the sha256 recorded at the check. Commits."""
    with conn.cursor() as cur:
        cur.execute("UPDATE import_uploads SET state = 'committing' WHERE id = %s AND username = %s "
                    "AND state = 'checked' AND expires_at > now() RETURNING id", (upload_id, username))
        if cur.fetchone() is None:
            conn.rollback()
            return None
        cur.execute("SELECT kind, file_name, sha256, data FROM import_upload_files WHERE upload_id = %s "
                    "ORDER BY position", (upload_id,))
        rows = cur.fetchall()
    conn.commit()
    files = []
    for kind, name, sha256, data in rows:
        data = bytes(data)
        if hashlib.sha256(data).hexdigest() != sha256:
            release(conn, upload_id, "failed")
            raise ValueError("stored upload does not match its sha256")
        files.append((kind, name, data))
    return files


def release(conn: Connection, upload_id: str, state: str = "checked", check_reports: list[dict] | None = None) -> None:
    """A commit that wrote nothing: back to `state` (checked: it may be tried again), with new check
    reports when the files were checked again. Commits."""
    with conn.cursor() as cur:
        cur.execute("UPDATE import_uploads SET state = %s, check_reports = coalesce(%s::jsonb, check_reports) "
                    "WHERE id = %s",
                    (state, json.dumps(check_reports, default=str) if check_reports is not None else None, upload_id))
    conn.commit()


def finish(conn: Connection, upload_id: str, mode: str, reports: list[dict]) -> None:
    """Committed: the reports kept, the bytes dropped (the batches keep file names and hashes). Commits."""
    with conn.cursor() as cur:
        cur.execute("UPDATE import_uploads SET state = 'committed', commit_mode = %s, commit_reports = %s::jsonb, "
                    "committed_at = now() WHERE id = %s", (mode, json.dumps(reports, default=str), upload_id))
        cur.execute("UPDATE import_upload_files SET data = NULL WHERE upload_id = %s", (upload_id,))
    conn.commit()
