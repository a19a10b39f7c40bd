"""The content hash printed on every page: sha256 over the canonical JSON of the report's data."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal


def _default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON-serializable in a report: {type(value).__name__}")


def canonical_json(data) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default).encode("utf-8")


def content_hash(data, length: int = 12) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()[:length]
