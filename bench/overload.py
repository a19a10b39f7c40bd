"""Overload runs: many clients at once on feature pages and on login, while a probe measures how long
a normal page takes meanwhile.

    PYTHONPATH=. .venv/bin/python -m bench.overload BASE_URL 'Bearer ...' [--modes pages,login]
        [--clients 16,64,256] [--duration 10] [--probe /api/collections/companies/items?limit=100]

Modes (bench/wrk_overload.lua): `pages` = distinct feature pages (nearly every one a cache miss that
runs its SQL), `url` = one URL repeated, `login` = POST /api/auth/token with random user names (every
request runs a password hash). bench/harness.py calls `run` for `make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path

import httpx

LUA = Path(__file__).with_name("wrk_overload.lua")
PROBE_PATH = "/api/collections/companies/items?limit=100"
CLIENTS = (16, 64, 256)
MODES = ("pages", "login")


def wrk(url: str, auth: str | None, mode: str, clients: int, duration: int, threads: int = 2) -> dict:
    env = {**os.environ, "BENCH_AUTH": auth or "", "BENCH_MODE": mode}
    # wrk's latencies leave out requests still unanswered at the end; one unanswered for 10 s counts as
    # a timeout (a socket error) instead, so that a stalled server cannot look fast.
    res = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA),
                          url], capture_output=True, text=True, env=env, timeout=duration + 120)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        return {"error": (res.stderr or res.stdout).strip()[-300:]}
    v = {k: int(x) for k, x in (kv.split("=") for kv in line.split()[1:])}
    seconds = v["duration_us"] / 1e6
    return {"rps": v["requests"] / seconds if seconds else 0.0, "requests": v["requests"],
            "p50_ms": v["p50_us"] / 1000, "p99_ms": v["p99_us"] / 1000, "max_ms": v["max_us"] / 1000,
            "non2xx": v["non2xx"], "socket_errors": v["socket_errors"], "timeouts": v["timeouts"],
            **({k: v[k] for k in ("s2xx", "s4xx", "s5xx", "s503")} if mode == "login" else {})}


class Probe:
    """One normal request every `interval` seconds on its own connection, while the load runs."""

    def __init__(self, url: str, auth: str | None, interval: float = 0.25) -> None:
        self._url, self._auth, self._interval = url, auth, interval
        self._stop = threading.Event()
        self.times: list[float] = []
        self.failures: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        headers = {"Authorization": self._auth} if self._auth else {}
        with httpx.Client(headers=headers, timeout=60) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    status = str(client.get(self._url).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                self.times.append(time.perf_counter() - started)
                if status != "200":
                    self.failures[status] = self.failures.get(status, 0) + 1
                self._stop.wait(self._interval)

    def summary(self) -> dict:
        ms = [t * 1000 for t in self.times]
        return {"count": len(ms), "p50_ms": statistics.median(ms) if ms else None, "max_ms": max(ms, default=None),
                "failures": self.failures}


def run(base: str, auth: str | None, mode: str, clients: int, duration: int, probe_path: str = PROBE_PATH) -> dict:
    """One wrk run of `mode` at `clients` connections (mode `url`: the probe's URL), with the probe's
    view of a normal page meanwhile."""
    with Probe(base + probe_path, auth) as probe:
        result = wrk(base + (probe_path if mode == "url" else "/"), auth, mode, clients, duration)
    return {"mode": mode, "clients": clients, **result, "probe": probe.summary()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("auth", help="Authorization header value, e.g. 'Bearer ...'")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--clients", default=",".join(map(str, CLIENTS)))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--probe", default=PROBE_PATH)
    args = ap.parse_args()
    for mode in args.modes.split(","):
        for clients in (int(c) for c in args.clients.split(",")):
            print(json.dumps({**run(args.base, args.auth, mode, clients, args.duration, args.probe),
                              "load": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
