"""`pantau serve --workers N` against a benchmark database, with its peak memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.procs import PeakTracker

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    def __init__(self, url: str, workers: int, log: Path, extra_env: dict[str, str] | None = None,
                 root: Path = ROOT) -> None:
        """root: the source tree to serve (another checkout's, for before/after runs)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "PORT": str(self.port), "HOST": "127.0.0.1", **(extra_env or {})}
        self._log = log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "geo.cli", "serve", "--workers", str(workers)],
                                     cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.peaks = PeakTracker(self.proc.pid)
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        deadline = time.monotonic() + 240  # uvicorn's supervisor may restart slow-starting workers
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pantau serve exited with {self.proc.returncode} (log: {log})")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pantau serve not ready within 240 s (log: {log})")
            try:
                if httpx.get(f"{self.base}/api/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.started = time.monotonic()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peaks.sample()

    def stop(self) -> None:
        self.peaks.sample()
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
