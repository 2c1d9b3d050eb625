"""The free-space guard: a backup refuses to write when its filesystem is nearly full.

A small tmpfs mounted over the backup directory stands in for a nearly full backup
volume (converge.yml: postgres_backup_min_free_mb 16, default margin 1.5). Refusals
fail the unit with exit status 75 and an error-priority journal line, write nothing,
remove nothing, and leave the database alone.
"""

from __future__ import annotations

import time

import pytest

from conftest import psql_admin

BACKUP_DIR = "/var/backups/postgresql"
DB_DIR = f"{BACKUP_DIR}/bookshelf"
UNIT = "postgres-backup.service"


def _listing(host) -> str:
    return host.check_output(f"find {BACKUP_DIR} -type f -printf '%P %s %T@\\n' | sort")


@pytest.fixture
def live_state(host):
    """What must survive a refused backup: the real backup dir, the data, the server."""
    psql_admin(host, "SET ROLE bookshelf_owner; CREATE TABLE IF NOT EXISTS guard_seed (id int);"
                     "TRUNCATE guard_seed; INSERT INTO guard_seed SELECT generate_series(1, 17)", dbname="bookshelf")
    before = _listing(host)
    yield before
    assert _listing(host) == before, "the dumps on the real backup filesystem changed"
    assert psql_admin(host, "SELECT count(*) FROM guard_seed", dbname="bookshelf") == "17"
    psql_admin(host, "DROP TABLE guard_seed", dbname="bookshelf")


@pytest.fixture
def small_backup_fs(host, live_state):
    """Mount a tmpfs of the given size (MB) over the backup dir, holding one old dump."""
    mounted = []

    def mount(size_mb: int) -> str:
        old = host.check_output(f"ls -1 {DB_DIR}/bookshelf_*.dump | sort | tail -n 1")
        host.check_output(f"cp -p {old} /tmp/guard-old.dump && "
                          f"mount -t tmpfs -o size={size_mb}m,mode=0700,uid=$(id -u postgres),gid=$(id -g postgres) "
                          f"flaskstack-guard {BACKUP_DIR}")
        mounted.append(True)
        host.check_output(f"install -d -o postgres -g postgres -m 0700 {DB_DIR} && "
                          f"install -o postgres -g postgres -m 0600 /tmp/guard-old.dump {DB_DIR}/bookshelf_20000101T000000Z.dump")
        return f"{DB_DIR}/bookshelf_20000101T000000Z.dump"

    yield mount
    if mounted:
        host.check_output(f"umount {BACKUP_DIR}")
    host.run("rm -f /tmp/guard-old.dump")
    host.run(f"systemctl reset-failed {UNIT}")


def _run_backup(host):
    since = int(time.time()) - 1
    rc = host.run(f"systemctl start {UNIT}").rc
    status = host.check_output(f"systemctl show -p ExecMainStatus --value {UNIT}")
    errors = host.check_output(f"journalctl -u {UNIT} -p err --since @{since} -o cat --no-pager")
    return rc, int(status), errors


def test_backup_is_refused_below_the_free_space_floor(host, small_backup_fs):
    old = small_backup_fs(8)  # 8 MB free < postgres_backup_min_free_mb 16
    rc, status, errors = _run_backup(host)
    assert rc != 0 and status == 75
    assert "REFUSED" in errors and "needs 16 MB" in errors, errors
    assert host.check_output(f"ls -1 {DB_DIR}").split() == [old.rsplit("/", 1)[1]], "something was written or removed"


def test_backup_is_refused_below_the_newest_dump_times_the_margin(host, small_backup_fs):
    small_backup_fs(40)
    # A 30 MB newest dump (sparse: costs no space) needs 45 MB free; 40 MB is above the floor but below that.
    host.check_output(f"truncate -s 30M {DB_DIR}/bookshelf_29991231T235959Z.dump && "
                      f"chown postgres:postgres {DB_DIR}/bookshelf_29991231T235959Z.dump")
    rc, status, errors = _run_backup(host)
    assert rc != 0 and status == 75
    assert "REFUSED" in errors and "newest dump 30 MB x 1.5" in errors, errors
    assert len(host.check_output(f"ls -1 {DB_DIR}").split()) == 2, "something was written or removed"


def test_backup_runs_on_the_same_small_filesystem_when_space_suffices(host, small_backup_fs):
    # Control for the two refusals: the tmpfs itself does not break the unit.
    small_backup_fs(40)
    rc, status, errors = _run_backup(host)
    assert rc == 0 and status == 0, errors
    assert len(host.check_output(f"ls -1 {DB_DIR}/bookshelf_*.dump").split()) == 2
