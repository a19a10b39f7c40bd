"""One import from start to end: read, validate, stage, decide, write, report — one transaction.

Modes: `check` (nothing kept), `all_or_nothing` (any rejected row → nothing written), `skip_invalid`
(valid rows written, rejected ones reported). A check runs the very writes `skip_invalid` would make
and then rolls them back, so its new/changed/unchanged counts are what a commit would do at that
moment. Until the final COMMIT nothing is visible; a crash or a killed process leaves the database
as it was.

`run_imports` takes several files in one transaction (a companies file and a workers file sent
together): each is written in KINDS order before the next is validated, so workers of companies in
the same upload are known.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from geo import clock
from geo.db import Connection
from geo.imports import foreign, foreign_store, scope, store
from geo.imports.codes import agency_lookup, finding_lookup, list_lookup, sector_lookup
from geo.imports.freetext import free_text_warnings
from geo.imports.limits import ImportLimits
from geo.imports.places import Places
from geo.imports.problems import Problems
from geo.imports.reading import ReadError, read_table
from geo.imports.report import ImportReport, Rejection
from geo.imports.templates import FOREIGN_KINDS, KINDS, REQUIRED
from geo.imports.validate import UNKNOWN_EMPLOYER, Context, validate

MODES = ("check", "all_or_nothing", "skip_invalid")
# Temporary tables of one file's import (ON COMMIT DROP): dropped before the next file of the same transaction.
_TEMP_TABLES = ("import_stage, import_points, import_cover, import_rows, import_districts, import_villages, "
                "import_new, import_reports, import_lodgings")


class ImportFileError(ValueError):
    """Bad arguments (unknown kind, mode or source agency), before any file is read."""


class ImportStale(ImportFileError):
    """The rows a commit would reject are not those its check rejected: nothing written."""


STALE = ("data berubah sejak pemeriksaan: baris yang ditolak tidak lagi sama, tidak ada yang disimpan; periksa "
         "ulang berkas (data changed since the check: the rejected rows differ, nothing written; check again)")


def run_import(
    conn: Connection,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    mode: str = "all_or_nothing",
    source: str = "kesbangpol",
    user: str = "unknown",
    regencies: tuple[str, ...] | None = None,
    limits: ImportLimits | None = None,
) -> ImportReport:
    return run_imports(conn, [(kind, data, file_name)], mode=mode, source=source, user=user, regencies=regencies,
                       limits=limits)[0]


def run_imports(
    conn: Connection,
    parts: list[tuple[str, bytes, str]],
    *,
    mode: str = "all_or_nothing",
    source: str = "kesbangpol",
    user: str = "unknown",
    regencies: tuple[str, ...] | None = None,
    limits: ImportLimits | None = None,
    expect_rejected: list[list[int]] | None = None,
    progress: Callable[[str, str, int], None] | None = None,
) -> list[ImportReport]:
    """Import (kind, data, file name) parts in one transaction; one report per part, in KINDS order.

    `expect_rejected`: the rejected lines per part that a check found; a commit whose rejected lines
    differ writes nothing (ImportStale): the user agreed to skip those rows, not others.
    `progress(kind, stage, rows)` is told each step as it starts: read, validate, locate, write."""
    for kind, _, _ in parts:
        if kind not in KINDS:
            raise ImportFileError(f"jenis impor tidak dikenal: {kind} (unknown kind; one of {', '.join(KINDS)})")
    if len({kind for kind, _, _ in parts}) != len(parts) or not parts:
        raise ImportFileError("satu berkas per jenis impor (one file per kind)")
    if mode not in MODES:
        raise ImportFileError(f"mode tidak dikenal: {mode} (unknown mode; one of {', '.join(MODES)})")
    started = datetime.now(UTC)
    parts = sorted(parts, key=lambda part: KINDS.index(part[0]))
    reports = [ImportReport(kind=kind, file=name, sha256=hashlib.sha256(data).hexdigest(), mode=mode, source=source)
               for kind, data, name in parts]
    try:
        _check_source(conn, source)
        readable = True
        for i, (report, (_, data, _)) in enumerate(zip(reports, parts, strict=True)):
            with conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {_TEMP_TABLES}")
            # A file followed by another is written even when it will be rolled back: the next
            # file's rows are then judged against it (its companies exist), as in a check.
            step = (lambda stage, rows, kind=report.kind: progress(kind, stage, rows)) if progress else _quiet
            if not _run(conn, report, data, regencies, user, started, limits, last=i == len(parts) - 1, step=step):
                readable = False
                break
        rejected = any(r.rejected for r in reports)
        if expect_rejected is not None and readable and mode != "check" and \
                [r.rejected_lines for r in reports] != [sorted(lines) for lines in expect_rejected]:
            raise ImportStale(STALE)
        if mode == "check" or not readable or (mode == "all_or_nothing" and rejected):
            conn.rollback()
            for report in reports:
                report.batch_id = None
                if mode != "check" or not readable:  # nothing would be written: no counts of writes
                    report.imported = report.updated = report.unchanged = 0
            return reports
        for report in reports:
            store.finish_batch(conn, report.batch_id, json.dumps({**report.as_dict(), "committed": True}, default=str),
                               {"rows_total": report.rows_total, "imported": report.imported,
                                "updated": report.updated, "unchanged": report.unchanged,
                                "rejected": len(report.rejected_lines)})
        conn.commit()
        for report in reports:
            report.committed = True
    except BaseException:
        conn.rollback()
        raise
    return reports


def _check_source(conn: Connection, source: str) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM agencies WHERE code = %s", (source,))
        if cur.fetchone() is None:
            raise ImportFileError(f"instansi sumber tidak dikenal: {source} (unknown source agency)")


def _quiet(stage: str, rows: int) -> None:
    pass


def _run(conn, report: ImportReport, data: bytes, regencies, user: str, started, limits, last: bool = True,
         step=_quiet) -> bool:
    """Validate and write one file (a check writes too; the caller rolls back). False: unreadable file."""
    kind = report.kind
    step("read", 0)
    try:
        table = read_table(data, report.file, limits)  # LimitExceeded propagates: no report, a 413
    except ReadError as exc:
        report.rejected = [Rejection(1, "", None, str(exc))]
        return False
    missing = [c for c in REQUIRED[kind] if c not in table.frame.columns]
    if missing:
        report.rejected = [Rejection(1, c, None, f"kolom wajib {c} tidak ada di baris judul (required column missing)")
                           for c in missing]
        return False
    report.rows_total = len(table.frame)
    step("validate", report.rows_total)

    validated = validate(kind, table, _context(conn, kind, regencies))
    problems = validated.problems
    good = ~problems.rejected_mask(len(table.frame))
    step("locate", report.rows_total)
    if kind in FOREIGN_KINDS:
        foreign_store.stage(conn, kind, validated.frame[good])
        misplaced = foreign_store.misplaced(conn) if kind != "activities" else []
        problems.add_lines([r[0] for r in misplaced], "latitude,longitude", [r[1] for r in misplaced],
                           [foreign_store.misplaced_reason(r[2]) for r in misplaced])
    else:
        store.stage(conn, kind, validated.frame[good])
        outside = store.outside(conn) if kind != "inspections" else []
        point_columns = "lokasi_kerja_lat,lokasi_kerja_lon" if kind == "workers" else "latitude,longitude"
        problems.add_lines([r[0] for r in outside], point_columns, [r[1] for r in outside],
                           [store.OUTSIDE] * len(outside))
    if regencies is not None:
        _check_scope(conn, kind, problems, regencies, writing=report.mode != "check")

    report.rejected = problems.rejections()
    report.warnings = free_text_warnings(conn, kind, validated.frame, table.lines)
    rejected_lines = report.rejected_lines
    report.valid = report.rows_total - len(rejected_lines)
    if report.mode == "all_or_nothing" and rejected_lines and last:
        return True  # nothing will be written: the caller rolls back

    step("write", report.valid)
    store.drop_lines(conn, rejected_lines)
    store.serialize_writes(conn)
    # A check writes as skip_invalid would (import_batches.mode knows no 'check'); it is rolled back.
    batch_mode = "skip_invalid" if report.mode == "check" else report.mode
    batch_id = store.new_batch(conn, kind, report.source, report.file, report.sha256, user, batch_mode, started)
    if kind in FOREIGN_KINDS:
        inserted, updated = foreign_store.upsert(conn, kind, report.source, batch_id, regencies, clock.today())
    else:
        inserted, updated = store.upsert(conn, kind, report.source, batch_id, regencies)
    report.batch_id = batch_id
    report.imported, report.updated = inserted, updated
    report.unchanged = report.valid - inserted - updated
    return True


def _check_scope(conn: Connection, kind: str, problems: Problems, regencies: tuple[str, ...], writing: bool) -> None:
    """Reject the rows that would write outside the scope (see geo/imports/scope.py)."""
    if writing:
        # The import write lock first, then the row locks: taken the other way round, a scoped
        # import and another import waiting for each other would deadlock.
        store.serialize_writes(conn)
    if kind == "companies":
        moved = scope.location(conn, regencies)
        problems.add_lines([r[0] for r in moved], "latitude,longitude", [r[1] for r in moved],
                           [scope.LOCATION_OUT_OF_SCOPE] * len(moved))
    foreign_kind = kind in FOREIGN_KINDS
    if writing:
        (foreign_store if foreign_kind else scope).lock(conn, kind, regencies)
    rejected = set(problems.lines[problems.rows()].tolist())
    found = foreign_store.conflicts(conn, kind, regencies) if foreign_kind else \
        scope.conflicts(conn, kind, regencies, UNKNOWN_EMPLOYER)
    found = [c for c in found if c[0] not in rejected]
    for line, column, value, reason in found:
        problems.add_lines([line], column, [value], [reason])


def _context(conn: Connection, kind: str, regencies: tuple[str, ...] | None) -> Context:
    # A scoped user's rows may only name the scope's companies, villages and districts: any other
    # reads as unknown.
    company_ids = scope.employers(conn, regencies) if kind != "companies" else {}
    return Context(
        places=Places.load(conn) if kind == "companies" else None,
        sectors=sector_lookup(conn) if kind == "companies" else {},
        agencies=agency_lookup(conn),
        findings=finding_lookup(),
        company_ids=company_ids,
        villages=foreign.villages(conn, regencies) if kind in ("foreign_nationals", "lodgings") else {},
        districts=foreign.districts(conn, regencies) if kind == "activities" else set(),
        permit_types=list_lookup(conn, "permit_types") if kind == "foreign_nationals" else {},
        purposes=list_lookup(conn, "stay_purposes") if kind == "foreign_nationals" else {},
        activity_kinds=list_lookup(conn, "activity_kinds") if kind == "activities" else {},
        today=clock.today().isoformat(),
    )
