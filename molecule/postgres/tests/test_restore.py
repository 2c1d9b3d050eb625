"""In-place restores cannot destroy data: restore into a new database, swap by renaming.

A truncated dump (two thirds of a good one) still passes `pg_restore --list`,
so only the restore itself can find it out: it must fail without touching the
live database. A good dump goes into `<db>_restore_<stamp>` with the live
database's owner, privileges and settings, then replaces the live one by
renaming, and the previous database is kept as `<db>_before_restore_<stamp>`.
"""

from __future__ import annotations

import time

import pytest

from conftest import OWNER, RUNTIME, psql_admin, psql_tcp

RESTORE = "/usr/local/sbin/postgres-restore"
BACKUP_DIR = "/var/backups/postgresql/bookshelf"
ROWS = 20000
STAMP = "20260101_000000"
CANDIDATE = f"bookshelf_restore_{STAMP}"
BEFORE = f"bookshelf_before_restore_{STAMP}"
TRUNCATED = "/var/backups/postgresql/truncated.dump"


def count(host, dbname: str = "bookshelf") -> str:
    return psql_admin(host, "SELECT count(*) FROM restore_seed", dbname=dbname)


def databases(host) -> set[str]:
    return set(psql_admin(host, "SELECT datname FROM pg_database").split())


@pytest.fixture(scope="module")
def dumps(host):
    """A good dump of ROWS seed rows (plus per-database settings) and a copy cut to two thirds."""
    psql_admin(host, "SET ROLE bookshelf_owner; DROP TABLE IF EXISTS restore_seed;"
                     "CREATE TABLE restore_seed (id serial PRIMARY KEY, title text);"
                     f"INSERT INTO restore_seed (title) SELECT 'book ' || g || repeat('x', 40) "
                     f"FROM generate_series(1, {ROWS}) g", dbname="bookshelf")
    psql_admin(host, "ALTER DATABASE bookshelf SET work_mem = '7MB'")
    psql_admin(host, "ALTER ROLE bookshelf_app IN DATABASE bookshelf SET lock_timeout = '3s'")
    host.check_output("systemctl start postgres-backup.service")
    good = host.check_output(f"ls -1 {BACKUP_DIR}/bookshelf_*.dump | sort | tail -n 1").strip()
    size = int(host.check_output(f"stat -c %s {good}"))
    host.check_output(f"head -c {size * 2 // 3} {good} > {TRUNCATED} && chown postgres: {TRUNCATED} && chmod 600 {TRUNCATED}")
    yield good, TRUNCATED
    host.run(f"rm -f {TRUNCATED}")
    for db in (CANDIDATE, BEFORE):
        psql_admin(host, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql_admin(host, "ALTER DATABASE bookshelf RESET work_mem")
    psql_admin(host, "ALTER ROLE bookshelf_app IN DATABASE bookshelf RESET lock_timeout")
    psql_admin(host, "DROP TABLE IF EXISTS restore_seed", dbname="bookshelf")


def test_a_truncated_dump_still_passes_pg_restore_list(host, dumps):
    # Why the list check alone protects nothing: the table of contents is at the start.
    _, truncated = dumps
    assert "TABLE DATA public restore_seed" in host.check_output(f"runuser -u postgres -- pg_restore --list {truncated}")


def test_a_truncated_dump_fails_and_the_live_database_keeps_its_rows(host, dumps):
    _, truncated = dumps
    result = host.run(f"{RESTORE} --like bookshelf {truncated} {CANDIDATE}")
    assert result.rc == 1, result.stdout + result.stderr
    assert f"FAILED: {truncated} could not be restored into {CANDIDATE}" in result.stderr, result.stderr
    assert count(host) == str(ROWS)
    assert CANDIDATE not in databases(host), "the half-made database was left behind"
    # ... and the app role still reads and writes the live data.
    assert psql_tcp(host, "INSERT INTO restore_seed (title) VALUES ('after'); DELETE FROM restore_seed "
                          "WHERE title = 'after'", RUNTIME).rc == 0


def test_restore_never_replaces_an_existing_database(host, dumps):
    good, _ = dumps
    result = host.run(f"{RESTORE} --like bookshelf {good} bookshelf")
    assert result.rc == 1 and "exists" in result.stderr
    assert host.run(f"{RESTORE} --force {good} bookshelf").rc != 0
    assert count(host) == str(ROWS)


@pytest.fixture(scope="module")
def swapped(host, dumps):
    """Change the live data after the backup, restore the good dump into a new database and swap it in."""
    good, _ = dumps
    psql_admin(host, "DELETE FROM restore_seed WHERE id > 100", dbname="bookshelf")
    restored = host.run(f"{RESTORE} --like bookshelf {good} {CANDIDATE}")
    assert restored.rc == 0, restored.stderr
    assert count(host, CANDIDATE) == str(ROWS) and count(host) == "100"
    # A session on the live database (as the app would hold) is ended by the swap.
    host.check_output("runuser -u postgres -- sh -c 'psql -d bookshelf -c \"SELECT pg_sleep(60)\" "
                      ">/dev/null 2>&1 &'")
    for _ in range(40):  # bounded: 20 s
        if psql_admin(host, "SELECT count(*) FROM pg_stat_activity WHERE datname = 'bookshelf' "
                            "AND query LIKE 'SELECT pg_sleep(60)%'") == "1":
            break
        time.sleep(0.5)
    else:
        pytest.fail("the session on the live database did not start")
    swap = host.run(f"{RESTORE} --swap bookshelf {CANDIDATE} {BEFORE}")
    assert swap.rc == 0, swap.stderr
    return swap


def test_a_good_dump_replaces_the_data(host, swapped):
    assert count(host) == str(ROWS)


def test_the_previous_database_is_kept_under_its_before_name(host, swapped):
    assert count(host, BEFORE) == "100"
    assert CANDIDATE not in databases(host)


def test_the_restored_database_has_the_live_owner_privileges_and_settings(host, swapped):
    assert psql_admin(host, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'bookshelf'") == "bookshelf_owner"
    assert psql_admin(host, "SELECT has_database_privilege('public', 'bookshelf', 'CONNECT')") == "f"
    result = psql_tcp(host, "SHOW work_mem; SHOW lock_timeout", RUNTIME)
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["7MB", "3s"]


def test_the_runtime_role_works_on_the_restored_data_and_on_tables_created_later(host, swapped):
    result = psql_tcp(host, "INSERT INTO restore_seed (title) VALUES ('new'); "
                            "UPDATE restore_seed SET title = 'changed' WHERE title = 'new'; "
                            "DELETE FROM restore_seed WHERE title = 'changed'; SELECT count(*) FROM restore_seed", RUNTIME)
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == [str(ROWS)]
    # Default privileges came back with the dump: a table the owner creates now is the app's to use.
    assert psql_tcp(host, "CREATE TABLE restore_later (id int)", OWNER).rc == 0
    try:
        assert psql_tcp(host, "INSERT INTO restore_later VALUES (1)", RUNTIME).rc == 0
    finally:
        psql_tcp(host, "DROP TABLE restore_later", OWNER)


def test_a_swap_onto_a_taken_name_renames_nothing(host, swapped):
    # BEFORE exists now: renaming the live database onto it must fail as a whole.
    result = host.run(f"{RESTORE} --swap bookshelf {BEFORE} {BEFORE}")
    assert result.rc == 1 and "nothing was renamed" in result.stderr
    assert count(host) == str(ROWS) and count(host, BEFORE) == "100"
