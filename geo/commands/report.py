"""`pantau report`: a meeting report (PDF atlas, offline HTML or XLSX annex) for one quarter."""

from __future__ import annotations

from pathlib import Path

import typer

from geo import clock
from geo import db as dbmod
from geo.auth import audit
from geo.commands import settings as get_settings
from geo.filters import FilterError, from_params
from geo.formatting import number
from geo.reports.build import ReportError, build_report
from geo.reports.content import Options
from geo.reports.period import PeriodError, Quarter


def report(
    period: str = typer.Option(..., "--period", help="quarter, e.g. 2026-Q3"),
    out: Path = typer.Option(..., "--out", help="file to write"),
    fmt: str = typer.Option("pdf", "--format", help="pdf | html | xlsx"),
    regency: str = typer.Option(None, "--regency", help="one regency, e.g. 62.02: atlas pages per district"),
    no_suppress: bool = typer.Option(False, "--no-suppress", help="show small counts (internal use only)"),
    threshold: int = typer.Option(3, "--threshold", min=2, max=20, help="counts of persons below this are shown as <N"),
    agency: str = typer.Option("kesbangpol", "--agency", help="issuing agency code (cover page)"),
    personal: bool = typer.Option(False, "--personal", help="XLSX: add the named worker sheet (UU 27/2022)"),
    sector: str = typer.Option(None, "--sector", help="sector code(s), comma-separated"),
    nationality: str = typer.Option(None, "--nationality", help="ISO 3166-1 alpha-2 code(s), comma-separated"),
    permit_status: str = typer.Option(None, "--permit-status", help="company RPTKA: valid | expiring | expired"),
    district: str = typer.Option(None, "--district", help="district code, e.g. 62.71.01"),
    interval: str = typer.Option(None, "--datetime", help="RPTKA validity date or interval start/end"),
) -> None:
    """Write a report for rapat koordinasi; the same filters as the API."""
    url = dbmod.ensure_server(get_settings().database)
    try:
        quarter = Quarter.parse(period)
        flt = from_params(sector, nationality, permit_status, regency, district, interval)
        if personal and fmt != "xlsx":
            raise ReportError("personal: named worker rows exist only in the XLSX annex (--format xlsx)")
        # SOURCE_DATE_EPOCH, when set, is the report's moment ('data per', its day): reproducible files.
        opts = Options(quarter, flt, threshold=None if no_suppress else threshold, agency=agency, personal=personal,
                       now=clock.source_date())
        with dbmod.connection(url) as conn:
            flt.validate_against(conn)
            result = build_report(conn, opts, fmt)
            audit.record(conn, "report.export", username="cli", target=str(quarter),
                         detail={"format": fmt, "filter": flt.as_query(), "hash": result.hash,
                                 "suppressed": opts.threshold, "personal": personal})
    except (PeriodError, FilterError, ReportError, clock.ClockError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    out.write_bytes(result.body)
    typer.echo(f"{out} ({number(len(result.body))} bytes, {fmt}, hash {result.hash})")


def register(app: typer.Typer) -> None:
    app.command("report")(report)


