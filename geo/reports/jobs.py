"""Background report jobs in the database (table report_jobs, migration 0070).

The row is the job: what to build (the checked, scoped options), its status and progress, and once
done the file itself (bytea). Any server worker can answer a poll or a download; the worker that
accepted the job builds it (api/report_runner.py) in a child process (geo/reports/job_worker.py).

A job belongs to the user who asked: every read is by (id, user). It is also bound to the scope and
the personal-data permission it was built with: if the user's regencies or role change, the job
reads as absent rather than hand over what the user may no longer see.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from geo.db import Connection, transaction
from geo.filters import from_params
from geo.reports.build import Report
from geo.reports.content import Options
from geo.reports.period import Quarter

STATUSES = ("queued", "running", "done", "failed")
# The owning server process touches its queued and running jobs every HEARTBEAT_S; a job not touched
# for LOST_AFTER_S belongs to a process that ended (restart, crash) and is marked failed.
HEARTBEAT_S = 10
LOST_AFTER_S = 60
ACTIVE_PER_USER = 2  # queued or running jobs one user may have at once
KEPT_PER_USER = 10  # finished jobs kept per user (the oldest go first), besides the time limit

LOST_MESSAGE = "pembuatan laporan terhenti karena server dimulai ulang; silakan buat lagi (job lost: server restarted)"


@dataclass(frozen=True)
class JobOptions:
    """What a job builds: the synchronous route's options, in a form the database can keep."""

    period: str
    format: str
    filter: dict  # MonitoringFilter.as_query() of the checked filter
    scope: list[str] | None  # the asking user's regencies (None = the whole province)
    threshold: int | None
    agency: str
    personal: bool
    meetings_of: str | None = None  # Options.meetings_of (absent in jobs made before it)

    @classmethod
    def of(cls, opts: Options, fmt: str) -> JobOptions:
        scope = opts.flt.scope
        return cls(str(opts.period), fmt, opts.flt.as_query(), list(scope) if scope is not None else None,
                   opts.threshold, opts.agency, opts.personal, opts.meetings_of)

    def options(self) -> Options:
        flt = from_params(**self.filter).scoped(tuple(self.scope) if self.scope is not None else None)
        return Options(Quarter.parse(self.period), flt, threshold=self.threshold, agency=self.agency,
                       personal=self.personal, meetings_of=self.meetings_of)

    def as_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, raw: dict | str) -> JobOptions:
        return cls(**(json.loads(raw) if isinstance(raw, str) else raw))


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str
    progress: int
    step: str
    error: str | None
    filename: str | None
    options: JobOptions
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime


def parse_id(text: str) -> str | None:
    """A job id as stored (canonical uuid text), or None for anything that is not one."""
    try:
        return str(uuid.UUID(text))
    except (ValueError, TypeError, AttributeError):
        return None


def sweep(conn: Connection) -> None:
    """Remove expired jobs and mark lost ones failed."""
    with transaction(conn) as cur:
        cur.execute("DELETE FROM report_jobs WHERE expires_at < now()")
        cur.execute("""UPDATE report_jobs SET status = 'failed', error = %s, finished_at = now()
                        WHERE status IN ('queued', 'running') AND heartbeat_at < now() - make_interval(secs => %s)""",
                    (LOST_MESSAGE, LOST_AFTER_S))


def active_count(conn: Connection, username: str) -> int:
    with transaction(conn) as cur:
        cur.execute("""SELECT count(*) FROM report_jobs j JOIN users u ON u.id = j.user_id
                        WHERE u.username = %s AND j.status IN ('queued', 'running')""", (username,))
        return cur.fetchone()[0]


def create(conn: Connection, username: str, job: JobOptions, keep_minutes: int, timeout_s: int) -> str:
    """A queued job of `username`; it expires keep_minutes after it could at the latest have ended."""
    job_id = str(uuid.uuid4())
    with transaction(conn) as cur:
        cur.execute("""INSERT INTO report_jobs (id, user_id, options, expires_at)
                       SELECT %s, id, %s, now() + make_interval(mins => %s, secs => %s) FROM users WHERE username = %s""",
                    (job_id, job.as_json(), keep_minutes, timeout_s, username))
        if cur.rowcount != 1:
            raise LookupError("no such user")
        # Each user keeps a few finished files only: a loop of requests cannot fill the database.
        cur.execute("""DELETE FROM report_jobs WHERE id IN (
                           SELECT j.id FROM report_jobs j JOIN users u ON u.id = j.user_id
                            WHERE u.username = %s AND j.status IN ('done', 'failed')
                            ORDER BY j.created_at DESC OFFSET %s)""", (username, KEPT_PER_USER))
    return job_id


_STATUS_COLUMNS = "j.id::text, j.status, j.progress, j.step, j.error, j.filename, j.options, j.created_at, " \
                  "j.finished_at, j.expires_at"


def status(conn: Connection, job_id: str, username: str) -> JobStatus | None:
    """The job if it is this user's and not expired (the file is not read)."""
    with transaction(conn) as cur:
        cur.execute(f"""SELECT {_STATUS_COLUMNS} FROM report_jobs j JOIN users u ON u.id = j.user_id
                         WHERE j.id = %s AND u.username = %s AND j.expires_at >= now()""",  # noqa: S608 - fixed text
                    (job_id, username))
        row = cur.fetchone()
    if row is None:
        return None
    return JobStatus(*row[:6], JobOptions.from_json(row[6]), *row[7:])


def file(conn: Connection, job_id: str, username: str) -> tuple[bytes, str, str, str] | None:
    """(body, media type, file name, content hash) of this user's finished job, else None."""
    with transaction(conn) as cur:
        cur.execute("""SELECT j.body, j.media_type, j.filename, j.content_hash
                         FROM report_jobs j JOIN users u ON u.id = j.user_id
                        WHERE j.id = %s AND u.username = %s AND j.status = 'done' AND j.expires_at >= now()""",
                    (job_id, username))
        row = cur.fetchone()
    return (bytes(row[0]), row[1], row[2], row[3]) if row else None


# --- the owning server process ---------------------------------------------------------------------
def heartbeat(conn: Connection, job_ids: list[str]) -> None:
    with transaction(conn) as cur:
        cur.execute("""UPDATE report_jobs SET heartbeat_at = now()
                        WHERE id = ANY(%s::uuid[]) AND status IN ('queued', 'running')""", (job_ids,))


def fail(conn: Connection, job_id: str, message: str, keep_minutes: int) -> None:
    """Failed, unless it finished meanwhile. `message` is read by the user: no personal values."""
    with transaction(conn) as cur:
        cur.execute("""UPDATE report_jobs SET status = 'failed', error = %s, finished_at = now(),
                              expires_at = now() + make_interval(mins => %s)
                        WHERE id = %s AND status IN ('queued', 'running')""", (message, keep_minutes, job_id))


# --- the child process that builds it --------------------------------------------------------------
def load(conn: Connection, job_id: str) -> JobOptions | None:
    """Start the job: running, and its options (None if it is gone or was taken already)."""
    with transaction(conn) as cur:
        cur.execute("""UPDATE report_jobs SET status = 'running', heartbeat_at = now()
                        WHERE id = %s AND status = 'queued' RETURNING options""", (job_id,))
        row = cur.fetchone()
    return JobOptions.from_json(row[0]) if row else None


def progress(conn: Connection, job_id: str, percent: int, step: str) -> None:
    with transaction(conn) as cur:
        cur.execute("""UPDATE report_jobs SET progress = %s, step = %s, heartbeat_at = now()
                        WHERE id = %s AND status = 'running'""", (max(0, min(100, percent)), step, job_id))


def finish(conn: Connection, job_id: str, report: Report, keep_minutes: int) -> None:
    with transaction(conn) as cur:
        cur.execute("""UPDATE report_jobs SET status = 'done', progress = 100, step = 'selesai (done)',
                              body = %s, media_type = %s, filename = %s, content_hash = %s, finished_at = now(),
                              expires_at = now() + make_interval(mins => %s)
                        WHERE id = %s AND status = 'running'""",
                    (report.body, report.media_type, report.filename, report.hash, keep_minutes, job_id))
