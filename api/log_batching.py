"""A log handler that writes in batches: the access log writes one line per request, and a write per
request made the event loop give up the GIL on every request (to the request threads) and wait to get
it back: a visible share of the throughput of the fastest routes (bench/RESULTS-features.md).

Records are kept in memory and written together about once a second by a background thread, at once
for WARNING and above, and when the handler closes (logging's exit hook closes it on a normal
shutdown, SIGTERM included). A process killed with SIGKILL loses at most the last interval's lines.
The standard MemoryHandler hands records to its target one by one, a write each, so it does not help.
"""

from __future__ import annotations

import logging
import threading
from typing import TextIO


class BatchedStreamHandler(logging.StreamHandler):
    def __init__(self, stream: TextIO | None = None, interval: float = 1.0, capacity: int = 5000) -> None:
        super().__init__(stream)
        self.interval = interval
        self.capacity = capacity
        self._pending: list[logging.LogRecord] = []
        self._stopped = threading.Event()
        self._writer = threading.Thread(target=self._write_periodically, name="log-batch-writer", daemon=True)
        self._writer.start()

    def emit(self, record: logging.LogRecord) -> None:
        # Called with the handler's lock held (Handler.handle): the list append is safe.
        self._pending.append(record)
        if record.levelno >= logging.WARNING or len(self._pending) >= self.capacity:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            records, self._pending = self._pending, []
            if not records or self.stream is None:
                return
            lines = []
            for record in records:
                try:
                    lines.append(self.format(record) + self.terminator)
                except Exception:  # one bad record must not lose the others
                    self.handleError(record)
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except Exception:
                self.handleError(records[-1])

    def _write_periodically(self) -> None:
        while not self._stopped.wait(self.interval):
            self.flush()

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()
