"""The embedded cluster: created on first start, stopped and started again with its data kept."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest

from geo.cluster import LocalCluster
from geo.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # clusters of its own started and stopped


@pytest.fixture
def own_home():
    # Not pytest's tmp_path: that is private to root, and the cluster may belong to `postgres`.
    home = Path(tempfile.mkdtemp(prefix="pantau-home-"))
    home.chmod(0o755)
    yield home / "state"
    cluster = LocalCluster(home / "state")
    if cluster.is_running():
        cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


def pantau(*args, home):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PANTAU_DATABASE_URL")}
    env["PANTAU_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "geo.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="an external DATABASE_URL replaces the embedded cluster")
def test_start_stop_start_keeps_data(own_home):
    started = pantau("db", "start", home=own_home)
    assert started.returncode == 0, started.stderr
    url = pantau("db", "url", home=own_home).stdout.strip()
    assert f"host={own_home}/run" in url
    migrated = pantau("db", "migrate", home=own_home)
    assert "applied 0001_postgis" in migrated.stdout
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")

    assert pantau("db", "stop", home=own_home).returncode == 0
    stopped = pantau("db", "status", home=own_home)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(url, connect_timeout=3)

    assert pantau("db", "start", home=own_home).returncode == 0
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT x FROM kept")
        assert cur.fetchall() == [(42,)]
    again = pantau("db", "migrate", home=own_home)
    assert "schema up to date" in again.stdout
    status = pantau("db", "status", home=own_home)
    assert status.returncode == 0 and "reachable (embedded)" in status.stdout


def test_socket_folder_is_private(own_home):
    cluster = LocalCluster(own_home)
    cluster.start()
    assert cluster.socket_dir.stat().st_mode & 0o077 == 0
    assert cluster.data_dir.stat().st_mode & 0o077 == 0
