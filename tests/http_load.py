"""Many concurrent HTTP/1.1 keep-alive clients on raw asyncio streams, for overload tests.

httpx at 256 concurrent requests spends more CPU per request than the server does on a cached page,
and its waits would be counted as the server's latency; this client only writes a request and reads
the status, headers and body.
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Load:
    statuses: collections.Counter = field(default_factory=collections.Counter)
    errors: collections.Counter = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)
    busy_without_retry_after: int = 0  # 503s that do not say when to come back
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def slowest(self) -> float:
        return max(self.latencies, default=0.0)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readline()).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers


async def run_load(base: str, clients: int, seconds: float, make: callable, timeout: float = 45) -> Load:
    """`clients` connections, each sending `make(n)` (a Request; n counts up across clients) back to
    back for `seconds`. Requests still in flight at the end are waited for and counted."""
    url = urlsplit(base)
    load = Load()
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds

    async def one_client() -> None:
        reader = writer = None
        while time.monotonic() < deadline:
            req = make(next(counter))
            head = [f"{req.method} {req.path} HTTP/1.1", f"Host: {url.netloc}", f"Content-Length: {len(req.body)}"]
            head += [f"{k}: {v}" for k, v in req.headers.items()]
            started = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(url.hostname, url.port)
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + req.body)
                status, headers = await asyncio.wait_for(_read_response(reader), timeout)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError) as exc:
                load.errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            load.latencies.append(time.monotonic() - started)
            load.statuses[status] += 1
            if status == 503 and "retry-after" not in headers:
                load.busy_without_retry_after += 1
            if headers.get("connection") == "close":
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    load.seconds = time.monotonic() - started
    return load
