"""Backups: the timer's service writes a private dump that pg_restore reads and restores."""

import pytest

from conftest import psql_admin

BACKUP_DIR = "/var/backups/postgresql/bookshelf"
SEED_ROWS = 42
SCRATCH_DB = "bookshelf_restore_check"


@pytest.fixture(scope="module")
def dump(host):
    """Seed a table as the owner, run the backup service once, return the newest dump."""
    psql_admin(host, "SET ROLE bookshelf_owner; DROP TABLE IF EXISTS backup_seed;"
                     "CREATE TABLE backup_seed (id int PRIMARY KEY, title text);"
                     f"INSERT INTO backup_seed SELECT g, 'book ' || g FROM generate_series(1, {SEED_ROWS}) g",
               dbname="bookshelf")
    host.check_output("systemctl start postgres-backup.service")
    newest = host.check_output(f"ls -1 {BACKUP_DIR}/bookshelf_*.dump | sort | tail -n 1").strip()
    yield newest
    psql_admin(host, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


def test_backup_timer_is_scheduled(host):
    timer = host.service("postgres-backup.timer")
    assert timer.is_enabled and timer.is_running
    assert "postgres-backup.service" in host.check_output("systemctl list-timers --all --no-pager postgres-backup.timer")


def test_backup_service_succeeds(host, dump):
    assert host.check_output("systemctl show -p Result --value postgres-backup.service") == "success"


def test_dump_is_private_to_postgres(host, dump):
    f = host.file(dump)
    assert f.user == "postgres" and f.mode == 0o600


def test_dump_is_read_by_pg_restore_list(host, dump):
    listing = host.check_output(f"runuser -u postgres -- pg_restore --list {dump}")
    assert "TABLE public backup_seed" in listing


def test_restore_into_a_scratch_database_keeps_the_row_count(host, dump):
    host.check_output(f"/usr/local/sbin/postgres-restore --owner bookshelf_owner {dump} {SCRATCH_DB}")
    source = psql_admin(host, "SELECT count(*) FROM backup_seed", dbname="bookshelf")
    restored = psql_admin(host, "SELECT count(*) FROM backup_seed", dbname=SCRATCH_DB)
    assert source == restored == str(SEED_ROWS)


def test_restore_refuses_to_replace_an_existing_database(host, dump):
    result = host.run(f"/usr/local/sbin/postgres-restore {dump} bookshelf")
    assert result.rc != 0 and "exists" in result.stderr


def test_restore_refuses_a_file_that_is_not_a_dump(host):
    result = host.run(f"echo garbage > /tmp/not-a-dump && chmod 644 /tmp/not-a-dump && "
                      f"/usr/local/sbin/postgres-restore /tmp/not-a-dump {SCRATCH_DB}_never")
    assert result.rc != 0 and "not a readable dump" in result.stderr


def test_retention_keeps_the_configured_number_of_dumps(host, dump):
    # converge.yml: postgres_backup_keep 3 — run enough backups to exceed it (names have 1 s resolution).
    for _ in range(4):
        host.check_output("sleep 1.1 && systemctl start postgres-backup.service")
    assert len(host.check_output(f"ls -1 {BACKUP_DIR}/bookshelf_*.dump").split()) == 3
