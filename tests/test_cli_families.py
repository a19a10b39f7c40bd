"""`pantau` loads only the command family its command line names (geo.cli.COMMAND_FAMILIES), so the
table must name every top-level command each family of geo/commands/ adds, and no other."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import typer

import geo.commands
from geo import cli
from geo.settings import PROJECT_ROOT


def test_the_table_names_what_each_family_adds():
    added = {}
    for info in pkgutil.iter_modules(geo.commands.__path__):
        target = typer.Typer()
        cli.register_families(target, [info.name])
        names = {c.name for c in target.registered_commands} | {g.name for g in target.registered_groups}
        added.update(dict.fromkeys(names, info.name))
    assert added == cli.COMMAND_FAMILIES


def test_a_command_line_loads_the_families_it_needs():
    everything = sorted(i.name for i in pkgutil.iter_modules(geo.commands.__path__))
    assert cli.families_for(["pantau", "import", "workers", "w.csv"]) == ["imports"]
    assert cli.families_for(["pantau", "tokens", "create"]) == ["users"]
    assert cli.families_for(["pantau", "db", "start"]) == []
    assert cli.families_for(["pantau", "serve"]) == []
    assert cli.families_for(["pantau", "--help"]) == everything
    assert cli.families_for(["pantau", "tidak-ada"]) == everything


def _run(*code: str) -> str:
    return subprocess.run([sys.executable, *code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True).stdout


def test_pantau_import_starts_without_the_other_families():
    loaded = _run("-c", "import sys; sys.argv = ['pantau', 'import', 'workers']; import geo.cli; "
                        "print(sorted(m for m in sys.modules if m.startswith('geo.commands.')))")
    assert loaded.strip() == "['geo.commands.imports']"
    assert "workers" in _run("-m", "geo.cli", "import", "--help")
    every = _run("-m", "geo.cli", "--help")
    assert all(name in every for name in cli.COMMAND_FAMILIES)


def test_imported_by_other_code_every_family_is_there():
    loaded = _run("-c", "import sys; sys.argv = ['pytest', 'import']; import geo.cli; "
                        "print(len([m for m in sys.modules if m.startswith('geo.commands.')]))")
    assert int(loaded) == len(list(pkgutil.iter_modules(geo.commands.__path__)))
