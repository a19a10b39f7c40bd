"""`pantau` sub-commands, one module per command family; each defines `register(app: typer.Typer)`."""

from __future__ import annotations

from geo.settings import Settings

_current: Settings | None = None


def use(settings: Settings) -> None:
    """Called once by `pantau` as it starts (geo/cli.py), with the settings it read."""
    global _current
    _current = settings


def settings() -> Settings:
    """The settings of the running command."""
    if _current is None:
        raise RuntimeError("no settings: commands run through `pantau` (geo/cli.py)")
    return _current
