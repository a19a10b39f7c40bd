"""Runs the report jobs this server worker accepted: at most PANTAU_REPORT_CONCURRENCY at once, each
in a child process (geo/reports/job_worker.py), up to PANTAU_REPORT_QUEUE more waiting in arrival
order; beyond that the API answers 503. While a job waits or runs, this process touches its row
(heartbeat), so a poll reaching another worker still sees it alive, and a job whose process ended
reads as failed (geo/reports/jobs.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys

from geo.db import resolve_url
from geo.reports import jobs
from geo.settings import PROJECT_ROOT, Settings

log = logging.getLogger("pantau.reports")
_COMMAND = (sys.executable, "-m", "geo.reports.job_worker")


class ReportRunner:
    def __init__(self, app_state) -> None:
        self.state = app_state
        self.settings: Settings = app_state.settings
        self.slots = asyncio.Semaphore(self.settings.reports.concurrency)
        self.held: set[str] = set()  # accepted here, not ended: waiting or running
        self.reserved = 0  # admitted, row not written yet
        self._tasks: set[asyncio.Task] = set()
        self._beating: asyncio.Task | None = None

    @classmethod
    def of(cls, app_state) -> ReportRunner:
        runner = getattr(app_state, "report_runner", None)
        if runner is None:
            runner = app_state.report_runner = cls(app_state)
        return runner

    @property
    def capacity(self) -> int:
        cfg = self.settings.reports
        return cfg.concurrency + cfg.queue

    def reserve(self) -> bool:
        """A place for one more job (call on the event loop, before any await), else False."""
        if len(self.held) + self.reserved >= self.capacity:
            return False
        self.reserved += 1
        return True

    def release(self) -> None:
        self.reserved -= 1

    def start(self, job_id: str) -> None:
        """The reserved place becomes this job (its row is written)."""
        self.reserved -= 1
        self.held.add(job_id)
        task = asyncio.create_task(self._run(job_id), name=f"report-job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self._beating is None or self._beating.done():
            self._beating = asyncio.create_task(self._heartbeat(), name="report-jobs-heartbeat")

    async def _db(self, fn, *args):
        pool = self.state.pool
        with pool.connection(await pool.acquire()) as conn:
            return await pool.run(conn, fn, conn, *args)

    async def _heartbeat(self) -> None:
        while self.held:
            await asyncio.sleep(jobs.HEARTBEAT_S)
            try:
                await self._db(jobs.heartbeat, sorted(self.held))
            except Exception as exc:  # noqa: BLE001 - the next beat tries again
                log.warning("report jobs heartbeat failed: %s", type(exc).__name__)

    async def _run(self, job_id: str) -> None:
        cfg = self.settings.reports
        try:
            async with self.slots:
                outcome = await self._child(job_id, cfg.timeout_s, cfg.keep_minutes)
            if outcome is not None:
                await self._db(jobs.fail, job_id, outcome, cfg.keep_minutes)
        except Exception as exc:  # noqa: BLE001 - a job's failure must not end the server's task loop
            log.warning("report job failed: %s", type(exc).__name__)
            with contextlib.suppress(Exception):  # else the row reads as lost after LOST_AFTER_S
                await self._db(jobs.fail, job_id, "laporan gagal dibuat (report failed)", cfg.keep_minutes)
        finally:
            self.held.discard(job_id)

    async def _child(self, job_id: str, timeout_s: int, keep_minutes: int) -> str | None:
        """Runs the child; the failure message to record if it ended without recording one, else None
        (the child marks its own failures; fail() leaves a finished job alone anyway)."""
        payload = json.dumps({"url": resolve_url(self.settings.database), "job": job_id,
                              "keep_minutes": keep_minutes, "timeout_s": timeout_s,
                              "province": self.settings.boundaries.home_province}).encode()
        proc = await asyncio.create_subprocess_exec(*_COMMAND, cwd=PROJECT_ROOT, stdin=asyncio.subprocess.PIPE)
        try:
            await asyncio.wait_for(proc.communicate(payload), timeout_s)
        except TimeoutError:
            return (f"laporan lebih lama dari {timeout_s} detik dan dihentikan (report took longer than "
                    f"{timeout_s} s; PANTAU_REPORT_TIMEOUT_S)")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        return None if proc.returncode == 0 else "laporan gagal dibuat (report failed)"
