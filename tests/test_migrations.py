import psycopg2
import pytest

from geo.migrate import MigrationError, available, migrate


def test_first_migration_creates_postgis_and_all_are_recorded(empty_db_url):
    conn = psycopg2.connect(empty_db_url)
    try:
        applied = migrate(conn)
        assert [m.version for m in applied] == [m.version for m in available()]
        assert applied[0].name == "postgis"
        with conn.cursor() as cur:
            cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            assert cur.fetchone() is not None
            cur.execute("SELECT version FROM schema_migrations ORDER BY version")
            assert [r[0] for r in cur.fetchall()] == [m.version for m in available()]
    finally:
        conn.close()


def test_migrate_is_idempotent(empty_db_url):
    conn = psycopg2.connect(empty_db_url)
    try:
        assert migrate(conn)
        assert migrate(conn) == []
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM schema_migrations")
            assert cur.fetchone()[0] == len(available())
    finally:
        conn.close()


def test_an_edited_applied_migration_is_refused(empty_db_url):
    conn = psycopg2.connect(empty_db_url)
    try:
        migrate(conn)
        with conn.cursor() as cur:
            cur.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        conn.commit()
        with pytest.raises(MigrationError, match="0001_postgis was changed"):
            migrate(conn)
    finally:
        conn.close()
