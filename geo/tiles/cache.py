"""A small thread-safe LRU of rendered results (tiles, statistics), bounded in bytes."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TileSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_TILES_")

    cache_mb: int = Field(default=64, ge=0, description="in-process tile cache per worker; 0 = off")
    # 0 = browsers revalidate every tile (a cheap 304 when unchanged), so edits show at once.
    max_age: int = Field(default=0, ge=0, description="Cache-Control max-age of tiles, seconds")


class ResultCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], bytes]) -> tuple[bytes, bool]:
        """(value, was_cached). Concurrent misses of one key compute it once (the others wait),
        so a burst after an edit costs one query, not one per request."""
        value = self.get(key)
        if value is not None or self.max_bytes == 0:
            return (value, True) if value is not None else (compute(), False)
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            value = self.get(key)
            if value is not None:
                return value, True
            try:
                value = compute()
                self.put(key, value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value, False

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        # Count an empty tile as a few bytes so it still occupies a slot.
        cost = len(value) + 64
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old) + 64
            self._items[key] = value
            self._size += cost
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped) + 64


TileCache = ResultCache


def etag_of(key: tuple) -> str:
    """A strong ETag for a cache key (which holds the data versions it depends on)."""
    return '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags or "*" in tags
