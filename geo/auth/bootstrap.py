"""The first administrator: created on first start with a random password, never a default one."""

from __future__ import annotations

import os
from pathlib import Path

from geo.auth.passwords import generate_password
from geo.auth.users import create_user
from geo.db import Connection, transaction


def ensure_admin(conn: Connection, password_file: Path) -> str | None:
    """Create user `admin` when there are no users at all. Returns the password (to print once)."""
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM users")
        if cur.fetchone()[0] > 0:
            return None
    password = generate_password()
    create_user(conn, "admin", password, "admin", "kesbangpol", None)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.unlink(missing_ok=True)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    return password
