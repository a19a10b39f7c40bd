"""Backups with PostgreSQL's own tools: pg_dump (custom format) and pg_restore, one transaction."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from geo.cluster import ClusterError, postgres_bin_dir


class BackupError(RuntimeError):
    pass


def _tool(name: str) -> str:
    """The server's own version of the tool when installed (a dump must not be older than the
    server), else whatever is on PATH (e.g. postgresql-client for an external DATABASE_URL)."""
    try:
        candidate = postgres_bin_dir() / name
        if candidate.exists():
            return str(candidate)
    except ClusterError:
        pass
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install postgresql-client")
    return found


def backup(url: str, target: Path) -> int:
    """Dump the whole database to `target`; returns its size in bytes. Written to a temporary
    name first, so a failed dump never leaves a truncated file that looks like a backup."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    proc = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", f"--dbname={url}"],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {proc.stderr.strip()}")
    partial.replace(target)
    return target.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with the dump, in a single transaction: on any error the
    database stays as it was."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    listing = subprocess.run([_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a Pantau backup (pg_restore: {listing.stderr.strip()})")
    proc = subprocess.run(
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", f"--dbname={url}", str(source)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing changed: {proc.stderr.strip()}")
