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


def _pieces(data, depth: int = 0):
    """canonical_json(data) in pieces (the same bytes): dicts and lists of the top levels are walked so
    a report with 100,000 companies never holds its whole JSON text in memory at once."""
    if depth < 2 and isinstance(data, dict) and all(isinstance(k, str) for k in data):
        yield b"{"
        for i, key in enumerate(sorted(data)):
            yield (b"," if i else b"") + canonical_json(key) + b":"
            yield from _pieces(data[key], depth + 1)
        yield b"}"
    elif depth < 2 and isinstance(data, list):
        yield b"["
        for i, item in enumerate(data):
            yield (b"," if i else b"") + canonical_json(item)
        yield b"]"
    else:
        yield canonical_json(data)


def content_hash(data, length: int = 12) -> str:
    h = hashlib.sha256()
    for piece in _pieces(data):
        h.update(piece)
    return h.hexdigest()[:length]
