"""`pantau import ...` and `pantau export ...`: agencies' files in, filtered files out."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer

from geo import db as dbmod
from geo.commands import settings as get_settings
from geo.imports.templates import SLUGS

import_app = typer.Typer(help="Impor berkas CSV/XLSX instansi (companies, workers, inspections, orang-asing, "
                         "penginapan, kegiatan).", no_args_is_help=True)
export_app = typer.Typer(help="Ekspor data terfilter (CSV, XLSX, GeoJSON, GPKG, KML).", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


def _print_report(report, out: Path | None) -> None:
    data = report.as_dict()
    if out is not None:
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    verb = {"check": "diperiksa (checked)", "all_or_nothing": "diimpor (imported)", "skip_invalid": "diimpor (imported)"}
    # A check's counts are those of the writes it ran and rolled back (what --skip-invalid would do).
    typer.echo(f"{report.file}: {report.rows_total} baris {verb[report.mode]}, {report.valid} valid; "
               f"baru {report.imported}, diubah {report.updated}, tetap {report.unchanged}, "
               f"ditolak {len(report.rejected_lines)} baris"
               + (f" (batch {report.batch_id})" if report.batch_id else ""))
    for r in report.rejected:
        value = "" if r.value is None else f" = {r.value!r}"
        typer.echo(f"  baris {r.line}, kolom {r.column or '-'}{value}: {r.reason}")
    for w in report.warnings:
        typer.echo(f"  peringatan (warning): baris {w.line}, kolom {w.column}: {w.reason}")
    if report.rejected and report.mode == "all_or_nothing":
        typer.echo("tidak ada yang disimpan: perbaiki baris di atas atau gunakan --skip-invalid "
                   "(nothing written: fix the rows above or use --skip-invalid)")


def _import(kind: str, file: Path, check: bool, skip_invalid: bool, report_path: Path | None,
            source: str, user: str | None, no_limits: bool = False) -> None:
    # The same child process and limits as the API (geo/imports/worker.py); --no-limits lifts them.
    from geo.imports.limits import ImportLimits, LimitExceeded
    from geo.imports.worker import ImportCrashed, ImportDatabaseError, ImportRefused, Job, run_sync

    if check and skip_invalid:
        _fail("--check dan --skip-invalid tidak bisa digabung (choose one)")
    mode = "check" if check else "skip_invalid" if skip_invalid else "all_or_nothing"
    try:
        file.open("rb").close()
    except OSError as exc:
        _fail(f"berkas tidak dapat dibaca: {file} ({exc.strerror})")
    settings = get_settings()
    limits = ImportLimits.unlimited() if no_limits else ImportLimits.from_settings(settings.imports)
    job = Job(url=dbmod.ensure_server(settings.database), kind=kind, path=str(file.resolve()), file_name=file.name,
              mode=mode, source=source, user=user or getpass.getuser(), regencies=None, limits=limits,
              province=settings.boundaries.home_province)
    try:
        report = run_sync(job)
    except ImportRefused as exc:
        _fail(str(exc))
    except LimitExceeded as exc:
        _fail(f"{exc.message}; tidak ada yang disimpan (nothing written). Berkas tepercaya: --no-limits "
              f"atau naikkan {exc.setting} (trusted file: --no-limits, or raise {exc.setting})")
    except ImportDatabaseError as exc:
        # Only the primary message: the DETAIL of a constraint error may quote row values.
        _fail(f"kesalahan basis data, tidak ada yang disimpan (database error, nothing written): {exc}")
    except ImportCrashed as exc:
        _fail(f"berkas tidak dapat diproses, tidak ada yang disimpan (the file could not be processed, "
              f"nothing written: {exc})")
    _print_report(report, report_path)
    if report.rejected and mode != "skip_invalid":
        raise typer.Exit(1)
    if report.rows_total == 0 and report.rejected:  # unreadable file or missing columns
        raise typer.Exit(1)


def _make_import(kind: str):
    def command(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX file"),
        check: bool = typer.Option(False, "--check", help="validate only; write nothing"),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help="write the valid rows, list the rejected ones"),
        report: Path = typer.Option(None, "--report", help="write the JSON report to this file"),
        source: str = typer.Option("kesbangpol", "--source", help="agency that sent the file (agencies.code)"),
        user: str = typer.Option(None, "--user", help="operator recorded as imported_by (default: OS user)"),
        no_limits: bool = typer.Option(False, "--no-limits", help="lift the PANTAU_IMPORT_* size, time and "
                                                                   "memory limits, for a file you trust"),
    ) -> None:
        _import(kind, file, check, skip_invalid, report, source, user, no_limits)

    command.__doc__ = f"Import {kind} (all-or-nothing unless --skip-invalid)."
    return command


for _kind in ("companies", "workers", "inspections"):
    import_app.command(_kind)(_make_import(_kind))
for _slug, _kind in SLUGS.items():  # foreign nationals, lodging guests, monitoring activities (issue 17)
    import_app.command(_slug)(_make_import(_kind))


def _make_export(kind: str):
    def command(
        fmt: str = typer.Option("csv", "--format", help="csv | xlsx | geojson | gpkg | kml"),
        out: Path = typer.Option(..., "--out", help="output file"),
        regency: str = typer.Option(None, "--regency", help="regency code, e.g. 62.71"),
        district: str = typer.Option(None, "--district", help="district code, e.g. 62.71.01"),
        sector: str = typer.Option(None, "--sector", help="sector code(s), comma-separated"),
        nationality: str = typer.Option(None, "--nationality", help="ISO2 code(s), comma-separated"),
        permit_status: str = typer.Option(None, "--permit-status", help="company RPTKA: valid | expiring | expired"),
        personal: bool = typer.Option(False, "--personal", help="workers: include names, passport and ITAS numbers; "
                                                                 "inspections: notes and follow-up unmasked"),
    ) -> None:
        from geo.exports import ExportError, export_to_file
        from geo.filters import FilterError, from_params

        try:
            flt = from_params(sector, nationality, permit_status, regency, district)
            url = dbmod.ensure_server(get_settings().database)
            with dbmod.connection(url) as conn:
                flt.validate_against(conn)
                n = export_to_file(conn, kind, flt, fmt, out, personal=personal)
        except (FilterError, ExportError) as exc:
            _fail(str(exc))
        typer.echo(f"{n} baris {kind} diekspor ke {out} ({fmt})")

    command.__doc__ = f"Export {kind} with filters."
    return command


# Lodgings, activities and foreign nationals (issue 17): geo/exports_foreign.py; foreign_nationals needs --personal.
for _kind in ("companies", "workers", "inspections", "lodgings", "activities", "foreign_nationals"):
    export_app.command(_kind)(_make_export(_kind))


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
