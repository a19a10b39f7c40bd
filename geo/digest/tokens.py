"""The unsubscribe link's token: `<user id>-<HMAC-SHA256 of the id>` under a key derived from the
signing key (PANTAU_SECRET_KEY), so nothing is stored and nobody without the key can make one.
A token made under PANTAU_PREVIOUS_SECRET_KEY still works during a rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_TOKEN = re.compile(r"^([1-9][0-9]{0,18})-([A-Za-z0-9_-]{43})$")
_PURPOSE = b"pantau digest unsubscribe v1"


def _mac(key: str, user_id: int) -> str:
    # A key of its own (not the token-signing key itself): a MAC made here can never pass as a session token.
    derived = hmac.new(key.encode(), _PURPOSE, hashlib.sha256).digest()
    mac = hmac.new(derived, str(user_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_token(keys: list[str], user_id: int) -> str:
    """The token of a user's unsubscribe link (keys: geo.auth.secrets.signing_keys, current first)."""
    return f"{user_id}-{_mac(keys[0], user_id)}"


def read_token(keys: list[str], token: str) -> int | None:
    """The user id a token was made for, or None when it is not a valid one."""
    match = _TOKEN.match(token or "")
    if not match:
        return None
    user_id = int(match[1])
    for key in keys:
        if hmac.compare_digest(_mac(key, user_id), match[2]):
            return user_id
    return None
