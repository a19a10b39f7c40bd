"""Password hashing with Argon2 (pwdlib's recommended parameters), on a few threads of its own.

A hash is slow and memory-hard on purpose (Argon2, 64 MB; CPU time: bench/RESULTS-overload.md).
Run on the request threads, a flood of logins (random user names pass any per-name limit) took every
core and connection and pages waited for
seconds. So the server's hashes run on at most one thread per core (default half the cores), with a
short queue in front (create_app makes one `Hashing` from its settings); a check that finds the queue
full is refused at once (PasswordCheckBusy: the API answers 503 "server busy" with Retry-After)
instead of waiting. Unknown and known user names take the same path and cost. Without a `Hashing`
(the command line) a hash runs on the calling thread.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pwdlib import PasswordHash

from geo.settings import AuthSettings

T = TypeVar("T")


class PasswordCheckBusy(RuntimeError):
    """Every hashing thread is busy and the queue is full: try again shortly."""

    retry_after = 2


def thread_count(configured: int) -> int:
    """PANTAU_HASH_WORKERS as threads: 0 = half the cores, at least 1, never more than the cores."""
    cores = os.cpu_count() or 1
    return min(configured or max(1, cores // 2), cores)


class Hashing:
    def __init__(self, settings: AuthSettings) -> None:
        self.workers = thread_count(settings.hash_workers)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="pantau-hash")
        self._admitted = threading.BoundedSemaphore(self.workers + settings.hash_queue)

    def run(self, fn: Callable[..., T], *args) -> T:
        """fn(*args) on a hashing thread; blocks the calling thread (never call it on an event loop)."""
        if not self._admitted.acquire(blocking=False):
            raise PasswordCheckBusy("password hashing queue is full")
        try:
            return self._executor.submit(fn, *args).result()
        finally:
            self._admitted.release()


_hasher = PasswordHash.recommended()
# Verifying against this when the user does not exist keeps timing the same for both cases.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_LENGTH = 12


class WeakPassword(ValueError):
    pass


def _run(hashing: Hashing | None, fn: Callable[..., T], *args) -> T:
    return hashing.run(fn, *args) if hashing is not None else fn(*args)


def hash_password(password: str, hashing: Hashing | None = None) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters")
    return _run(hashing, _hasher.hash, password)


def verify_password(password: str, password_hash: str | None, hashing: Hashing | None = None) -> bool:
    """Blocking; PasswordCheckBusy when too many checks are under way."""
    if password_hash is None:
        _run(hashing, _hasher.verify, password, _DUMMY_HASH)
        return False
    return _run(hashing, _hasher.verify, password, password_hash)


def generate_password() -> str:
    return secrets.token_urlsafe(18)
