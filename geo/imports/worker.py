"""One import in a child process of its own, for the API and `pantau import` alike.

A hostile file must not cost the server more than the limits allow, and a parse in pandas or
openpyxl cannot be interrupted from inside. In a child process it can: the child lowers its CPU
priority, caps the memory it may add (RLIMIT_DATA), dies with its parent, and its database
session has the time limit as statement_timeout; the parent kills it at the wall-clock limit.
Nothing was committed then, and PostgreSQL rolls the transaction back as the session ends.

    parent → child stdin: the job (JSON)    child → parent stdout: the outcome (JSON)

Exception messages from the child never leave it (they may quote row values); only the outcome
fields below do.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import resource
import signal
import subprocess
import sys
import traceback
import typing
from dataclasses import asdict, dataclass
from pathlib import Path

from geo import clock
from geo.imports.limits import ImportLimits, LimitExceeded
from geo.imports.report import ImportReport
from geo.settings import PROJECT_ROOT

APPLICATION_NAME = "pantau-import"  # pg_stat_activity.application_name of the import sessions
CHECK_CLIENT_MS = 1000  # PostgreSQL 14+: a running statement notices a killed client this often
TEMP_BUFFERS = "256MB"  # the import session's temporary tables held in memory (see _connect)
_COMMAND = (sys.executable, "-m", "geo.imports.worker")


class ImportRefused(Exception):
    """ImportFileError in the child: bad arguments (HTTP 400)."""


class ImportDatabaseError(Exception):
    """A database error in the child; the message is PostgreSQL's primary message only (HTTP 409)."""


class ImportCrashed(Exception):
    """The child ended without an outcome (killed by the system, a crash in a C library)."""


@dataclass(frozen=True)
class Job:
    url: str
    kind: str
    path: str  # the uploaded file, written by the parent
    file_name: str
    mode: str
    source: str
    user: str
    regencies: tuple[str, ...] | None
    limits: ImportLimits
    province: str  # the parent's Settings.boundaries.home_province (geo.clock)
    # Further files of the same transaction: (kind, path, file name), e.g. workers after companies.
    more: tuple[tuple[str, str, str], ...] = ()
    # A commit of a checked upload: the rejected lines per file (KINDS order) its check found.
    expect_rejected: tuple[tuple[int, ...], ...] | None = None
    # Where the child reports each step (JSON: kind, stage, rows) for a page that polls it; None: nowhere.
    progress_path: str | None = None

    def encode(self) -> bytes:
        return json.dumps({**asdict(self), "limits": self.limits.as_dict()}).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Job:
        fields = json.loads(raw)
        regencies = fields.pop("regencies")
        expect = fields.pop("expect_rejected", None)
        return cls(**{**fields, "regencies": tuple(regencies) if regencies is not None else None,
                      "limits": ImportLimits(**fields["limits"]),
                      "more": tuple(tuple(part) for part in fields.get("more", ())),
                      "expect_rejected": tuple(tuple(lines) for lines in expect) if expect is not None else None})


# --- parent side ----------------------------------------------------------------------------------
def _timed_out(limits: ImportLimits) -> LimitExceeded:
    return LimitExceeded("timeout_s", f"impor lebih lama dari {limits.timeout_s:g} detik, tidak ada yang disimpan "
                         f"(import took longer than {limits.timeout_s:g} s, nothing written; PANTAU_IMPORT_TIMEOUT_S)")


async def run_async(job: Job) -> ImportReport:
    """For the event loop: waits without a thread; kills the child at the time limit or when the
    request is cancelled."""
    return (await run_many_async(job))[0]


async def run_many_async(job: Job) -> list[ImportReport]:
    """`run_async` for a job of several files: one report per file, in KINDS order."""
    proc = await asyncio.create_subprocess_exec(*_COMMAND, cwd=PROJECT_ROOT, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(job.encode()), job.limits.timeout_s)
    except TimeoutError:
        raise _timed_out(job.limits) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    # A report may list every row of a large file: parsed off the event loop.
    return await asyncio.to_thread(_outcome, out, proc.returncode, job.limits)


def run_sync(job: Job) -> ImportReport:
    """For the CLI (subprocess.run kills the child at the time limit)."""
    return run_many_sync(job)[0]


def run_many_sync(job: Job) -> list[ImportReport]:
    try:
        done = subprocess.run(_COMMAND, cwd=PROJECT_ROOT, input=job.encode(), stdout=subprocess.PIPE,
                              timeout=job.limits.timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise _timed_out(job.limits) from None
    return _outcome(done.stdout, done.returncode, job.limits)


def _outcome(out: bytes, returncode: int, limits: ImportLimits) -> list[ImportReport]:
    try:
        result = json.loads(out)
    except ValueError:
        result = None
    if not isinstance(result, dict):
        if returncode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT) and limits.memory_mb:
            raise LimitExceeded("memory_mb", _memory_message(limits))  # the likeliest cause
        raise ImportCrashed(f"import process ended with {returncode}")
    kind = result.get("outcome")
    if kind == "report":
        return [_rebuild(ImportReport, report) for report in result["reports"]]
    if kind == "limit":
        raise LimitExceeded(result["limit"], result["message"])
    if kind == "refused":
        raise ImportRefused(result["message"])
    if kind == "database":
        raise ImportDatabaseError(result["message"])
    raise ImportCrashed(f"import process failed ({result.get('error', 'unknown')})")


def _rebuild(cls, fields: dict):
    """A dataclass from its asdict() form, lists of dataclasses included (Rejection, ...)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.init and f.name in fields:
            value, args = fields[f.name], typing.get_args(hints[f.name])
            if isinstance(value, list) and args and dataclasses.is_dataclass(args[0]):
                value = [args[0](**item) for item in value]
            values[f.name] = value
    return cls(**values)


def _memory_message(limits: ImportLimits) -> str:
    return (f"impor memerlukan lebih dari {limits.memory_mb} MB memori, tidak ada yang disimpan "
            f"(the import needs more than {limits.memory_mb} MB of memory, nothing written; PANTAU_IMPORT_MEMORY_MB)")


# --- child side -----------------------------------------------------------------------------------
def _confine(limits: ImportLimits) -> None:
    try:  # die with the parent (Linux): a restarted server leaves no import running
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.nice(10)  # the server's requests first
    if limits.memory_mb:
        data_kb = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                       if line.startswith("VmData:"))
        cap = data_kb * 1024 + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def _connect(url: str, limits: ImportLimits):
    from geo import db as dbmod

    conn = dbmod.connect(url, application_name=APPLICATION_NAME)
    with conn.cursor() as cur:
        if limits.timeout_s:
            cur.execute("SELECT set_config('statement_timeout', %s, false)", (str(int(limits.timeout_s * 1000)),))
        if conn.server_version >= 140000:
            cur.execute("SELECT set_config('client_connection_check_interval', %s, false)", (str(CHECK_CLIENT_MS),))
        # The staging tables of a large file (temporary, so in the session's own buffers, 8 MB by
        # default): kept in memory instead of being read back from disk by each statement. Only
        # settable before the session's first temporary table, hence here.
        cur.execute("SELECT set_config('temp_buffers', %s, false)", (TEMP_BUFFERS,))
    conn.commit()
    return conn


def _progress_writer(path: str | None):
    """Each step into `path`, replaced whole (a reader never sees half a file); nothing without a path."""
    if path is None:
        return None

    def write(kind: str, stage: str, rows: int) -> None:
        with contextlib.suppress(OSError):  # progress is a courtesy: never a reason to fail an import
            partial = f"{path}.part"
            Path(partial).write_text(json.dumps({"kind": kind, "stage": stage, "rows": rows}))
            os.replace(partial, path)

    return write


def _execute(job: Job) -> dict:
    import psycopg2

    from geo.imports.service import ImportFileError, run_imports

    try:
        parts = [(kind, Path(path).read_bytes(), name)
                 for kind, path, name in ((job.kind, job.path, job.file_name), *job.more)]
        conn = _connect(job.url, job.limits)
        try:
            reports = run_imports(conn, parts, mode=job.mode, source=job.source, user=job.user,
                                  regencies=job.regencies, limits=job.limits,
                                  progress=_progress_writer(job.progress_path),
                                  expect_rejected=[list(lines) for lines in job.expect_rejected]
                                  if job.expect_rejected is not None else None)
        finally:
            conn.close()
    except LimitExceeded as exc:
        return {"outcome": "limit", "limit": exc.limit, "message": exc.message}
    except MemoryError:
        return {"outcome": "limit", "limit": "memory_mb", "message": _memory_message(job.limits)}
    except ImportFileError as exc:
        return {"outcome": "refused", "message": str(exc)}
    except psycopg2.errors.QueryCanceled:
        return {"outcome": "limit", "limit": "timeout_s", "message": str(_timed_out(job.limits))}
    except psycopg2.Error as exc:
        # Only the primary message: the DETAIL of a constraint error may quote row values.
        return {"outcome": "database", "message": exc.diag.message_primary or type(exc).__name__}
    return {"outcome": "report", "reports": [report.as_dict() for report in reports]}


def main() -> None:
    job = Job.decode(sys.stdin.buffer.read())
    clock.use_province(job.province)
    _confine(job.limits)
    try:
        result = _execute(job)
    except Exception as exc:  # noqa: BLE001 - reported by type and stack only, never the message
        sys.stderr.write(f"import failed: {type(exc).__module__}.{type(exc).__name__}\n"
                         + "".join(traceback.format_tb(exc.__traceback__)))
        result = {"outcome": "error", "error": type(exc).__name__}
    sys.stdout.write(json.dumps(result, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
