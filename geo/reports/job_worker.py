"""One background report job in a child process: `python -m geo.reports.job_worker` reads
{"url", "job", "keep_minutes", "timeout_s", "province"} (JSON) on stdin, builds the report the job row names and
writes progress and the file into that row.

A child process, not a thread of the server: a report is seconds to minutes of CPU in matplotlib,
geopandas and reportlab, which in a thread would hold the server worker's interpreter lock and slow
every request it serves. The child lowers its priority, dies with its parent, and its database
session has the job's time limit; the parent (api/report_runner.py) kills it at that limit.

Exception messages never leave the child (they may quote values): the job's error is either a
ReportError's (names an option and its value) or a generic text; stderr gets the exception type only.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path

from geo import clock
from geo import db as dbmod

APPLICATION_NAME = "pantau-report-job"
FAILED = "laporan gagal dibuat (report failed)"


def _die_with_parent() -> None:
    try:  # Linux: a restarted or killed server leaves no report running
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(url: str, job_id: str, keep_minutes: int, timeout_s: int) -> int:
    from geo.reports import jobs
    from geo.reports.build import ReportError, build_report
    from geo.reports.period import PeriodError

    conn = dbmod.connect(url, application_name=APPLICATION_NAME)
    try:
        with dbmod.transaction(conn) as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, false)", (str(timeout_s * 1000),))
        job = jobs.load(conn, job_id)
        if job is None:
            return 0  # gone (expired, user deleted) or already taken
        # Progress goes through a second session: the build's own may be inside a transaction.
        beat = dbmod.connect(url, application_name=APPLICATION_NAME)
        try:
            report = build_report(conn, job.options(), job.format,
                                  progress=lambda pct, step: jobs.progress(beat, job_id, pct, step))
        finally:
            beat.close()
        jobs.finish(conn, job_id, report, keep_minutes)
        return 0
    except (ReportError, PeriodError) as exc:
        _fail(conn, job_id, f"laporan gagal dibuat (report failed): {exc}", keep_minutes)
        return 1
    except Exception as exc:  # noqa: BLE001 - any failure becomes the job's generic error
        # Where, not what: the message may quote values.
        where = "; ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__)[-3:])
        print(f"report job failed: {type(exc).__name__} at {where}", file=sys.stderr)
        _fail(conn, job_id, FAILED, keep_minutes)
        return 1
    finally:
        conn.close()


def _fail(conn, job_id: str, message: str, keep_minutes: int) -> None:
    from geo.reports import jobs

    try:
        if not conn.closed:
            conn.rollback()
        jobs.fail(conn, job_id, message, keep_minutes)
    except Exception as exc:  # noqa: BLE001 - the parent marks it failed then
        print(f"report job: could not record the failure: {type(exc).__name__}", file=sys.stderr)


def main() -> int:
    _die_with_parent()
    os.nice(10)  # the server's requests first
    args = json.loads(sys.stdin.buffer.read())
    clock.use_province(args["province"])
    return run(args["url"], args["job"], int(args["keep_minutes"]), int(args["timeout_s"]))


if __name__ == "__main__":
    sys.exit(main())
