"""Admission to the connection pool: N slots, and one first-come-first-served queue that asyncio tasks
and threads wait in together, for a bounded time, with a bounded length.

Requests wait here, on the event loop, for the right to hold a connection, instead of each waiting in
a thread of its own: a waiting request then costs no thread, so threads never outnumber connections
and a request that already holds one always finds a thread for its work. A freed slot goes straight
to the longest waiter (no barging), so under overload everyone waits about as long, not some for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque


class SlotsBusy(RuntimeError):
    """No slot within the wait, or the queue is full: the server is overloaded right now."""


class _Waiter:
    __slots__ = ("event", "future", "granted", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.future = loop.create_future() if loop is not None else None
        self.event = threading.Event() if loop is None else None
        self.granted = False

    def wake(self) -> None:
        if self.event is not None:
            self.event.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            _resolve(self.future)
        else:
            with contextlib.suppress(RuntimeError):  # its loop is closed (shutdown): nobody waits any more
                self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class FairSlots:
    def __init__(self, slots: int, wait_seconds: float, max_waiting: int) -> None:
        self._free = slots
        self._wait = wait_seconds
        self._max_waiting = max_waiting
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def try_take(self) -> bool:
        """A slot at once, or False (also when others are queued: they come first)."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            return False

    def _enqueue(self, loop: asyncio.AbstractEventLoop | None) -> _Waiter | None:
        """None: a slot was free and is now the caller's. Else the caller's place in the queue."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return None
            if len(self._waiters) >= self._max_waiting:
                raise SlotsBusy(f"{len(self._waiters)} requests already waiting")
            waiter = _Waiter(loop)
            self._waiters.append(waiter)
            return waiter

    def _leave(self, waiter: _Waiter) -> bool:
        """Give up the place in the queue; True if a slot was granted meanwhile (then it is ours)."""
        with self._lock:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            return False

    async def take(self) -> None:
        """A slot, waiting in the queue on the event loop for at most the wait (else SlotsBusy)."""
        waiter = self._enqueue(asyncio.get_running_loop())
        if waiter is None:
            return
        try:
            async with asyncio.timeout(self._wait):
                await waiter.future
        except TimeoutError:
            if not self._leave(waiter):
                raise SlotsBusy(f"no free slot within {self._wait:g} s") from None
        except BaseException:  # cancelled (client gone, shutdown): pass a granted slot on
            if self._leave(waiter):
                self.give()
            raise

    def take_blocking(self) -> None:
        """`take` for a thread."""
        waiter = self._enqueue(None)
        if waiter is None:
            return
        waiter.event.wait(self._wait)
        if not self._leave(waiter):
            raise SlotsBusy(f"no free slot within {self._wait:g} s")

    def give(self) -> None:
        """Return a slot: to the longest waiter, else to the free ones."""
        with self._lock:
            if not self._waiters:
                self._free += 1
                return
            waiter = self._waiters.popleft()
            waiter.granted = True
        waiter.wake()
