"""The token-signing key: from PANTAU_SECRET_KEY, or generated once for development."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from geo.settings import Settings


class MissingSecret(RuntimeError):
    pass


def signing_keys(settings: Settings) -> list[str]:
    """Keys to verify with, current first; the current one also signs."""
    auth = settings.auth
    if auth.secret_key:
        current = auth.secret_key
    elif auth.env == "production":
        raise MissingSecret("PANTAU_SECRET_KEY must be set in production (at least 32 characters)")
    else:
        current = _development_key(settings.database.home / "secret_key")
    return [current] + ([auth.previous_secret_key] if auth.previous_secret_key else [])


def _development_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions from the start, never world-readable for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
