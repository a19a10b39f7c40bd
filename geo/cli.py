"""`pantau`: the one command operators use (database, boundaries, server, ...)."""

from __future__ import annotations

import sys

import psycopg2
import typer

from geo import clock, commands
from geo import db as dbmod
from geo.boundaries import BoundaryLoadError, Manifest, SourceError, fetch_set, load_set
from geo.boundaries.status import boundary_counts
from geo.cluster import ClusterError, LocalCluster
from geo.commands import settings as get_settings
from geo.migrate import MigrationError, migrate
from geo.settings import Settings

app = typer.Typer(help="Pantau: peta pemantauan TKA Kalimantan Tengah (operator commands).", no_args_is_help=True)
db_app = typer.Typer(help="The PostGIS database (embedded cluster unless DATABASE_URL is set).", no_args_is_help=True)
boundaries_app = typer.Typer(help="Administrative boundaries.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(boundaries_app, name="boundaries")


@app.callback()
def _start() -> None:
    """Settings from the environment, read once for the command that runs (geo.commands.settings)."""
    settings = Settings()
    clock.use_province(settings.boundaries.home_province)
    commands.use(settings)


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


def _cluster(settings: Settings) -> LocalCluster | None:
    return None if settings.database.url else LocalCluster(settings.database.home)


def _url(settings: Settings, start: bool = True) -> str:
    try:
        return dbmod.ensure_server(settings.database) if start else dbmod.resolve_url(settings.database)
    except ClusterError as exc:
        fail(str(exc))
        raise


# --- db ---------------------------------------------------------------------------------------
@db_app.command("start")
def db_start() -> None:
    """Start the embedded cluster (creating it on first use)."""
    settings = get_settings()
    cluster = _cluster(settings)
    if cluster is None:
        typer.echo("DATABASE_URL is set: using that server, nothing to start.")
        return
    _url(settings)
    typer.echo(f"database running: {cluster.url}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster; its data stays in PANTAU_HOME."""
    cluster = _cluster(get_settings())
    if cluster is None:
        typer.echo("DATABASE_URL is set: Pantau does not manage that server.")
        return
    try:
        cluster.stop()
    except ClusterError as exc:
        fail(str(exc))
    typer.echo("database stopped")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database is reachable, and what it holds."""
    settings = get_settings()
    cluster = _cluster(settings)
    if cluster is not None and not cluster.is_running():
        typer.echo(f"embedded cluster in {cluster.data_dir}: {'stopped' if cluster.initialized else 'not created'}")
        raise typer.Exit(3)
    url = dbmod.resolve_url(settings.database)
    try:
        with dbmod.connection(url) as conn:
            counts = boundary_counts(conn) if _has_schema(conn) else {}
    except Exception as exc:  # noqa: BLE001 - report any connection failure plainly
        fail(f"database not reachable: {exc}", code=3)
    typer.echo(f"database reachable ({'external' if cluster is None else 'embedded'})")
    for level, n in counts.items():
        typer.echo(f"  {level:9s} {n}")


def _has_schema(conn) -> bool:
    with dbmod.transaction(conn) as cur:
        cur.execute("SELECT to_regclass('public.boundaries') IS NOT NULL")
        return cur.fetchone()[0]


@db_app.command("url")
def db_url() -> None:
    """Print the libpq URL of the database (for psql, QGIS, pg_dump)."""
    typer.echo(dbmod.resolve_url(get_settings().database))


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending schema migrations (idempotent)."""
    url = _url(get_settings())
    try:
        with dbmod.connection(url) as conn:
            applied = migrate(conn)
    except MigrationError as exc:
        fail(str(exc))
    for m in applied:
        typer.echo(f"applied {m.version:04d}_{m.name}")
    typer.echo("schema up to date" if not applied else f"{len(applied)} migration(s) applied")


# --- boundaries -------------------------------------------------------------------------------
def load_boundaries(settings: Settings, set_name: str, source: str | None) -> None:
    manifest = Manifest.read(settings.boundaries.manifest)
    try:
        layer_set = manifest.layer_set(set_name)
        used, files = fetch_set(manifest, layer_set, settings.database.home / "boundaries", source or settings.boundaries.source)
    except (SourceError, ValueError) as exc:
        fail(str(exc))
        raise
    url = _url(settings)
    try:
        with dbmod.connection(url) as conn:
            migrate(conn)
            report = load_set(conn, layer_set, files, used)
    except (BoundaryLoadError, psycopg2.Error) as exc:
        fail(f"{str(exc).strip()} (nothing changed: the previous boundaries are intact)")
        raise
    typer.echo(f"boundaries '{set_name}' loaded from {used} in {report.seconds:.1f} s:")
    for level, n in report.counts.items():
        typer.echo(f"  {level:9s} {n}")
    for issue in report.issues:
        if issue.kind != "label_moved":
            typer.echo(f"  {issue.kind:14s} {issue.code:16s} {issue.detail}")
    moved = report.of_kind("label_moved")
    if moved:
        typer.echo(f"  label_moved    {len(moved)} feature(s) whose label point lay outside (see boundary_issues)")


@boundaries_app.command("load")
def boundaries_load(
    set_name: str = typer.Option("kalteng", "--set", help="boundary set from the manifest: kalteng or indonesia"),
    source: str = typer.Option(None, "--source", help="folder or URL (default: PANTAU_BOUNDARIES_SOURCE, the mirror, the manifest)"),
) -> None:
    """Load (or replace) a boundary set in one transaction, repairing and reporting defects."""
    load_boundaries(get_settings(), set_name, source)


# --- server -----------------------------------------------------------------------------------
@app.command("up")
def up() -> None:
    """Everything `make run` needs before serving: database, schema, boundaries (if absent)."""
    settings = get_settings()
    url = _url(settings)
    with dbmod.connection(url) as conn:
        migrate(conn)
        counts = boundary_counts(conn)
    if counts["regency"] == 0:
        load_boundaries(settings, "kalteng", None)
    else:
        typer.echo("boundaries present: " + ", ".join(f"{n} {lv}" for lv, n in counts.items()))
    _ensure_demo(url)
    _ensure_admin(settings, url)


def _ensure_demo(url: str) -> None:
    """First start: load the demo dataset into a database without companies (never mixes)."""
    from geo.commands.demo import echo_report
    from geo.demo import ensure_demo

    with dbmod.connection(url) as conn:
        report = ensure_demo(conn)
    if report:
        echo_report(report)
    else:
        typer.echo("monitoring data present: demo not loaded")


def _ensure_admin(settings: Settings, url: str) -> None:
    from geo.auth.bootstrap import ensure_admin

    password_file = settings.database.home / "admin-password.txt"
    with dbmod.connection(url) as conn:
        password = ensure_admin(conn, password_file)
    if password:
        typer.secho(
            f"\nAdministrator created: user 'admin', password: {password}\n"
            f"(shown once; also in {password_file}, readable only by you)\n",
            fg="yellow",
        )


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="default: HOST or 127.0.0.1"),
    port: int = typer.Option(None, help="default: PORT or 8000"),
    workers: int = typer.Option(None, help="uvicorn worker processes (default: PANTAU_WORKERS or 1)"),
) -> None:
    """Serve the web pages and API."""
    import uvicorn

    settings = get_settings()
    _url(settings)  # start the embedded cluster if needed
    host = host or settings.server.host
    port = port or settings.server.port
    typer.echo(f"Pantau berjalan di http://{host}:{port}/  (API: http://{host}:{port}/api/docs)")
    sys.stdout.flush()
    uvicorn.run(
        "api.main:app_from_env", factory=True, host=host, port=port,
        workers=workers or settings.server.workers, timeout_graceful_shutdown=20,
        log_level="info",
        access_log=False,  # api.middleware logs each request once, with its request id
        # uvicorn would believe X-Forwarded-For from 127.0.0.1; api/client_address.py believes it
        # only from PANTAU_TRUSTED_PROXIES.
        proxy_headers=False,
    )


# The top-level commands each family of geo/commands/ adds. A command line naming one loads that
# family alone: each imports what its commands need (pandas, geopandas, argon2), and loading them all
# took longer than starting Python. A command of this module loads none; anything else (--help, a
# typo, geo.cli imported by other code) loads them all. tests/test_cli_families.py keeps this table true.
COMMAND_FAMILIES = {"backup": "backup", "restore": "backup", "demo": "demo", "digest": "digest",
                    "import": "imports", "export": "imports", "report": "report", "users": "users",
                    "tokens": "users"}


def families_for(argv: list[str]) -> list[str]:
    """The modules of geo/commands/ to load for this command line."""
    import pkgutil

    import geo.commands

    named = next((a for a in argv[1:] if not a.startswith("-")), None)
    own = {c.name or c.callback.__name__ for c in app.registered_commands} | {g.name for g in app.registered_groups}
    if named in COMMAND_FAMILIES:
        return [COMMAND_FAMILIES[named]]
    if named in own:
        return []
    return sorted(i.name for i in pkgutil.iter_modules(geo.commands.__path__))


def register_families(target: typer.Typer, families: list[str]) -> None:
    import importlib

    for name in families:
        register = getattr(importlib.import_module(f"geo.commands.{name}"), "register", None)
        if register:
            register(target)


def _as_pantau(argv: list[str]) -> bool:
    """Run as the `pantau` program (its script, or `python -m geo.cli`), not imported by other code."""
    from pathlib import Path

    return bool(argv) and (Path(argv[0]).name == "pantau" or Path(argv[0]).resolve() == Path(__file__).resolve())


register_families(app, families_for(sys.argv if _as_pantau(sys.argv) else ["pantau"]))

if __name__ == "__main__":  # pragma: no cover
    app()
