"""The embedded PostgreSQL + PostGIS cluster Pantau runs when DATABASE_URL is not set.

The cluster lives in PANTAU_HOME (default: .pantau/ in the project, git-ignored) and listens only on a
Unix socket in a folder only its owner can enter, so no port clashes and no network exposure.
PostgreSQL refuses to run as root, so when Pantau is run by root the cluster belongs to the
`postgres` system user and its commands run through `runuser`.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "pantau"
DB_USER = "pantau"
SOCKET_PORT = 5432  # only names the socket file; nothing listens on TCP
_MAX_SOCKET_PATH = 100  # the kernel's limit for sun_path is 107 bytes


class ClusterError(RuntimeError):
    """The embedded cluster cannot be set up or started; the message says why and what to do."""


def postgres_bin_dir() -> Path:
    """Newest installed PostgreSQL server's bin folder (Debian layout), or the one on PATH."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ClusterError(
        "PostgreSQL server not found (no initdb). Run `make setup` (installs postgresql and "
        "postgis from the distribution) or set DATABASE_URL to an existing PostGIS database."
    )


@dataclass
class LocalCluster:
    home: Path

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()
        self.data_dir = self.home / "pg"
        self.log_dir = self.home / "pglog"
        self.socket_dir = self._socket_dir()

    # --- locations -------------------------------------------------------------------------
    def _socket_dir(self) -> Path:
        wanted = self.home / "run"
        if len(str(wanted / f".s.PGSQL.{SOCKET_PORT}")) <= _MAX_SOCKET_PATH:
            return wanted
        # A deep checkout would exceed the socket path limit: use a short, stable path instead.
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"pantau-{digest}"

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@/{DB_NAME}?host={self.socket_dir}&port={SOCKET_PORT}"

    def admin_url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{DB_USER}@/{dbname}?host={self.socket_dir}&port={SOCKET_PORT}"

    # --- running commands as the cluster's owner -------------------------------------------
    @property
    def _run_as_postgres(self) -> bool:
        return os.geteuid() == 0

    def _owner(self) -> tuple[int, int] | None:
        if not self._run_as_postgres:
            return None
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ClusterError(
                "running as root but there is no `postgres` system user to own the cluster; "
                "install the postgresql package (make setup)"
            ) from exc
        return pw.pw_uid, pw.pw_gid

    def _cmd(self, *args: str) -> list[str]:
        tool = str(postgres_bin_dir() / args[0])
        if self._run_as_postgres:
            return ["runuser", "-u", "postgres", "--", tool, *args[1:]]
        return [tool, *args[1:]]

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise ClusterError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def _make_owned_dir(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        owner = self._owner()
        if owner:
            os.chown(path, *owner)
        path.chmod(0o700)

    # --- lifecycle --------------------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if it does not exist. Returns True when it was created now."""
        if self.initialized:
            return False
        self.home.mkdir(parents=True, exist_ok=True)
        if self._run_as_postgres:
            self._check_reachable_by_postgres()
        for d in (self.data_dir, self.log_dir, self.socket_dir):
            self._make_owned_dir(d)
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", DB_USER, "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        )
        conf = self.data_dir / "postgresql.auto.conf"
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "unix_socket_permissions": "0700",
            "port": str(SOCKET_PORT),
            "max_connections": "200",
            "shared_buffers": "'512MB'",
            "work_mem": "'32MB'",
            "maintenance_work_mem": "'256MB'",
            "timezone": "'Asia/Jakarta'",
            "log_min_messages": "warning",
            # Statement text may hold personal data (UU 27/2022): never log it.
            "log_min_error_statement": "panic",
        }
        with conf.open("a") as fh:
            fh.writelines(f"{k} = {v}\n" for k, v in settings.items())
        return True

    def _check_reachable_by_postgres(self) -> None:
        probe = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-x", str(self.home.parent)],
            capture_output=True,
        )
        if probe.returncode != 0:
            raise ClusterError(
                f"the `postgres` user cannot enter {self.home.parent}; set PANTAU_HOME to a folder "
                "it can reach (e.g. /var/lib/pantau) or set DATABASE_URL"
            )

    def is_running(self) -> bool:
        if not self.initialized:
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def start(self) -> None:
        self.init()
        # The socket folder may live in /tmp, which a reboot empties.
        self._make_owned_dir(self.socket_dir)
        if not self.is_running():
            self._run(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_dir / "postgresql.log"),
                "-w", "-t", "60", "start",
            )
        self._ensure_database()

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")

    def _ensure_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.admin_url())
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DB_NAME}"')  # noqa: S608 - constant name
        finally:
            conn.close()
