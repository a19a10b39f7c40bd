"""`pantau demo`: load the synthetic demonstration dataset (or a benchmark-sized one)."""

from __future__ import annotations

from datetime import date, datetime

import typer

from geo import clock
from geo import db as dbmod
from geo.commands import settings as get_settings
from geo.demo import DemoRefused, Size, load_demo
from geo.demo import profile as P


def _parse_day(value: str | None) -> date:
    if not value:
        return clock.today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"tanggal tidak valid (YYYY-MM-DD): {value}") from None


def demo(
    companies: int = typer.Option(P.DEFAULT_COMPANIES, "--companies", min=1, help="number of companies"),
    workers: int = typer.Option(P.DEFAULT_WORKERS, "--workers", min=0, help="number of foreign workers"),
    inspections: int = typer.Option(None, "--inspections", min=0,
                                    help="number of inspections (default: 400 per 150 companies)"),
    foreign_nationals: int = typer.Option(None, "--foreign-nationals", min=0,
                                          help="foreign nationals besides the workers (default: 300 per 700 workers)"),
    lodgings: int = typer.Option(None, "--lodgings", min=0, help="lodgings (default: 40 per 150 companies)"),
    lodging_stays: int = typer.Option(None, "--lodging-stays", min=0,
                                      help="lodging guest stays (default: 480 per 700 workers)"),
    activities: int = typer.Option(None, "--activities", min=0,
                                   help="monitoring activities (default: 160 per 150 companies)"),
    seed: int = typer.Option(P.DEFAULT_SEED, "--seed", help="random seed: same seed and date, same data"),
    today: str = typer.Option(None, "--today", help="reference date YYYY-MM-DD (default: today)"),
    replace: bool = typer.Option(False, "--replace", help="delete ALL existing monitoring data first"),
) -> None:
    """Load a deterministic synthetic dataset (fictitious companies, workers, other foreign nationals,
    lodgings and monitoring activities) in one transaction."""
    day = _parse_day(today)
    # Keep the default ratios: inspections, lodgings and activities to companies, persons to workers.
    def ratio(value, default, per, base):
        return value if value is not None else round(base * default / per)

    size = Size(companies, workers, ratio(inspections, P.DEFAULT_INSPECTIONS, P.DEFAULT_COMPANIES, companies),
                ratio(foreign_nationals, P.DEFAULT_FOREIGN_NATIONALS, P.DEFAULT_WORKERS, workers),
                ratio(lodgings, P.DEFAULT_LODGINGS, P.DEFAULT_COMPANIES, companies),
                ratio(lodging_stays, P.DEFAULT_LODGING_STAYS, P.DEFAULT_WORKERS, workers),
                ratio(activities, P.DEFAULT_ACTIVITIES, P.DEFAULT_COMPANIES, companies))
    url = dbmod.ensure_server(get_settings().database)
    try:
        with dbmod.connection(url) as conn:
            report = load_demo(conn, size, seed, day, replace)
    except DemoRefused as exc:
        typer.secho(f"ditolak: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    echo_report(report)


def echo_report(report) -> None:
    c = report.counts
    if report.replaced:
        typer.echo(f"{report.replaced} perusahaan lama dihapus (--replace)")
    typer.echo(f"data demo dimuat dalam {report.seconds:.1f} s (seed {report.seed}, tanggal {report.today}): "
               f"{c['companies']} perusahaan, {c['workers']} TKA, {c['inspections']} pemeriksaan, "
               f"{c['foreign_nationals']} orang asing lain ({c['stays']} izin tinggal, termasuk sebagian TKA), "
               f"{c['lodgings']} penginapan dengan {c['lodging_stays']} tamu, {c['activities']} kegiatan pemantauan, "
               f"{c['import_batches']} batch impor (Imigrasi, Disnakertrans, Kesbangpol), "
               f"{c['meetings']} rakor dengan {c['recommendations']} rekomendasi")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
