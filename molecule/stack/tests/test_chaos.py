"""Fault injection under bounded load: day-2 playbooks and failures of one part.

Each test runs a bounded load (a few concurrent clients on 127.0.0.1:18080,
a fixed number of requests and seconds) while something happens, prints its
request counts, and leaves the stack healthy for the next test.
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from chaos_helpers import (
    APP_HOSTS,
    LOAD_URL,
    MAX_SECONDS,
    SERVICE,
    Background,
    sh,
    api,
    deploy_locked,
    dump_path,
    last_ledger_entry,
    live_release,
    new_token,
    paced_load,
    psql,
    releases_served,
    run_playbook,
    table_fingerprints,
    tail,
    write_load,
)

testinfra_hosts = ["web1"]


# LOAD_URL (/healthz) goes through nginx and the app to PostgreSQL and is not rate
# limited (the API locations allow 10 r/s per client, which a load from one address
# would mostly see as 429). Deploys run under a paced load (bursts of the shared
# `load` fixture) that lasts until the playbook ends; the tests check it did.
def deploy_under_load(load, *args: str):
    run = Background("deploy.yml", *args)
    run.start()
    result = paced_load(load, LOAD_URL, run.done, MAX_SECONDS)
    return run.wait(), result


@pytest.fixture(scope="module")
def rolling_deploy(molecule_host):
    """A rolling deploy of a new release under load; meanwhile a second deploy.yml is started."""
    from conftest import bounded_load, wait_until

    before = live_release(molecule_host("app1"))
    release = f"chaos-{int(time.time())}"
    first = Background("deploy.yml", "-e", f"release_id={release}")
    first.start()
    second: dict = {}

    def concurrent_deploy():
        wait_until(deploy_locked, timeout=120, interval=0.3, what="first deploy holds the lock")
        second["result"] = run_playbook("deploy.yml", "-e", f"release_id={release}-2")
        second["locked_after"] = deploy_locked()

    contender = threading.Thread(target=concurrent_deploy, daemon=True)
    contender.start()
    result = paced_load(bounded_load, LOAD_URL, first.done, MAX_SECONDS)
    contender.join(180)
    return {"before": before, "release": release, "deploy": first.wait(), "load": result,
            "second": second.get("result"), "locked_after": second.get("locked_after"),
            "lock_gone": not deploy_locked()}


def test_rolling_deploy_of_a_new_release_drops_no_request(rolling_deploy, molecule_host):
    deployed, result, release = rolling_deploy["deploy"], rolling_deploy["load"], rolling_deploy["release"]
    print(result)
    assert deployed.returncode == 0, tail(deployed)
    assert result.failed == 0, result
    assert result.total > 0 and result.stopped, "the load must last as long as the deploy"
    served = releases_served()
    assert served == {host: {release} for host in APP_HOSTS}, served
    for name in APP_HOSTS:
        entry = last_ledger_entry(molecule_host(name))
        assert (entry["action"], entry["release"], entry["outcome"]) == ("deploy", release, "success"), entry
        assert entry["previous"] == rolling_deploy["before"], entry
        assert entry["actor"] and len(entry["artifact_sha256"]) == 64, entry


def test_second_concurrent_deploy_is_refused_by_the_lock(rolling_deploy):
    second = rolling_deploy["second"]
    assert second is not None, "the second deploy never started"
    output = second.stdout + second.stderr
    print(output[output.find("Deploy lock"):][:400])
    assert second.returncode != 0
    assert "Deploy lock for environment molecule is held by" in output, tail(second)
    assert "deploy.yml chaos-" in output and "s ago" in output
    # Refused without touching the lock of the deploy that holds it; that one releases it at its end.
    assert rolling_deploy["locked_after"]
    assert rolling_deploy["lock_gone"]


def test_broken_release_is_rolled_back_without_dropping_requests(molecule_host, load):
    before = {name: live_release(molecule_host(name)) for name in APP_HOSTS}
    broken = f"broken-{int(time.time())}"
    # PGOPTIONS with an invalid setting: the app starts, but every DB connection is refused -> /healthz 503.
    deployed, result = deploy_under_load(
        load, "-e", f"release_id={broken}", "-e", '{"flask_app_healthcheck_timeout": 10}',
        "-e", '{"deploy_extra_env": {"PGOPTIONS": "-c work_mem=bogus"}}')
    print(result)
    output = deployed.stdout + deployed.stderr
    assert deployed.returncode != 0, tail(deployed)
    assert "deploy FAILED, the rollout was stopped" in output, tail(deployed)
    assert f"release {broken} on app1 failed and was rolled" in output, tail(deployed)
    assert result.failed == 0, result
    assert result.total > 0 and result.stopped
    assert releases_served() == {name: {before[name]} for name in APP_HOSTS}
    first = last_ledger_entry(molecule_host("app1"))
    assert (first["release"], first["outcome"]) == (broken, "failed"), first
    # The rollout stopped at the first host: app2 never saw the broken release.
    assert broken not in molecule_host("app2").check_output("ls /srv/bookshelf/releases")
    assert api("GET", "/healthz")[0] == 200


def _service_pids(name: str) -> tuple[int, list[int]]:
    master = int(sh(name, f"systemctl show -P MainPID {SERVICE}.service").stdout.strip() or 0)
    workers = [int(p) for p in sh(name, f"pgrep -P {master} || true").stdout.split()] if master else []
    return master, workers


def _healthy_on(name: str) -> bool:
    return sh(name, "curl -fsS --max-time 2 http://$(hostname -I | cut -d' ' -f1):8000/healthz",
              check=False).returncode == 0


def test_kill_9_of_a_worker_and_of_the_master_drops_no_request(load, wait_until):
    master, workers = _service_pids("app1")
    assert workers, "no gunicorn workers found"
    stop = threading.Event()
    outcome: dict = {}

    def inject():
        try:
            time.sleep(2)
            sh("app1", f"kill -9 {workers[0]}")
            time.sleep(3)
            sh("app1", f"kill -9 {master}")
            killed = time.monotonic()
            wait_until(lambda: _service_pids("app1")[0] not in (0, master) and _healthy_on("app1"),
                       timeout=10, interval=0.2, what="gunicorn back on app1")
            outcome["back_after"] = time.monotonic() - killed
            time.sleep(3)
        except AssertionError as err:
            outcome["error"] = err
        finally:
            stop.set()

    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    result = paced_load(load, LOAD_URL, stop, max_seconds=40)
    injector.join(30)
    print(result, f"| service back {outcome.get('back_after', float('nan')):.1f}s after kill -9 of the master")
    assert "error" not in outcome, outcome.get("error")
    assert outcome["back_after"] <= 10
    assert result.failed == 0, result
    assert set(APP_HOSTS) <= set(releases_served())


def test_postgres_restart_loses_no_acknowledged_write(wait_until):
    token = new_token()
    stop = threading.Event()
    window: dict = {}

    def restart():
        time.sleep(3)
        window["start"] = time.monotonic()
        sh("db1", "systemctl restart postgresql")
        window["end"] = time.monotonic()
        wait_until(lambda: api("GET", "/healthz")[0] == 200, timeout=10, interval=0.2,
                   what="the app reaching PostgreSQL again")
        window["recovered"] = time.monotonic()
        time.sleep(3)
        stop.set()

    injector = threading.Thread(target=restart, daemon=True)
    injector.start()
    log = write_load(token, stop, writers=2, max_writes=1000, max_seconds=60)
    stop.set()
    injector.join(30)
    print(log, f"| restart took {window['end'] - window['start']:.1f}s, "
               f"healthy {window['recovered'] - window['end']:.1f}s later")
    assert window["recovered"] - window["end"] <= 10
    for moment, status in log.failures():
        assert window["start"] - 1 <= moment <= window["recovered"] + 1, (moment - window["start"], status)
    titles = set(log.acknowledged)
    assert titles, "no write was acknowledged"
    stored = set(sh("db1", "runuser -u postgres -- psql -qAt -d bookshelf "
                           "-c \"SELECT title FROM books WHERE title LIKE 'chaos-%'\"").stdout.split())
    assert titles <= stored, f"{len(titles - stored)} acknowledged writes missing"


def test_backup_drop_table_restore_gives_identical_data(wait_until):
    backup = run_playbook("backup.yml")
    assert backup.returncode == 0, tail(backup)
    dump = dump_path(backup.stdout)
    before = table_fingerprints()
    assert before["books"][0] > 0
    psql("DROP TABLE books CASCADE")
    assert "books" not in table_fingerprints()
    restored = run_playbook("restore.yml", "-e", f"backup={dump}")
    print(f"{dump}: {sum(n for n, _ in before.values())} rows in {len(before)} tables")
    assert restored.returncode == 0, tail(restored)
    assert re.search(r"books\s+-\s+->\s+\d+", restored.stdout), tail(restored)
    assert table_fingerprints() == before
    wait_until(lambda: api("GET", "/healthz")[0] == 200, timeout=30, what="app healthy after the restore")
    assert sh("web1", "test -e /etc/nginx/maintenance.on", check=False).returncode == 1
    # The database it replaced is kept (without the books table) until an operator drops it.
    kept = psql("SELECT datname FROM pg_database WHERE datname LIKE 'bookshelf\\_before\\_restore\\_%' "
                "ORDER BY 1 DESC LIMIT 1", "postgres")
    assert kept, "no bookshelf_before_restore_* database was kept"
    assert "books" not in table_fingerprints(kept)


def test_restore_of_a_truncated_dump_fails_and_the_live_data_keeps_serving(wait_until):
    # The trap: a dump cut to two thirds still passes pg_restore --list, as long as
    # the data outweighs the table of contents (as in production): add 20,000 books first.
    token = new_token()
    psql("INSERT INTO books (title, owner_id, created_at, updated_at) SELECT 'bulk-' || g || '-' || md5(g::text), "
         "(SELECT max(id) FROM users), now(), now() FROM generate_series(1, 20000) g")
    backup = run_playbook("backup.yml")
    assert backup.returncode == 0, tail(backup)
    dump = dump_path(backup.stdout)
    truncated = "/var/backups/postgresql/truncated-for-test.dump"  # outside <dir>/<db>/: never a "newest dump"
    size = int(sh("db1", f"stat -c %s {dump}").stdout)
    sh("db1", f"head -c {size * 2 // 3} {dump} > {truncated} && chown postgres: {truncated} && chmod 600 {truncated}")
    sh("db1", f"runuser -u postgres -- pg_restore --list {truncated} > /dev/null")
    before = table_fingerprints()
    try:
        restored = run_playbook("restore.yml", "-e", f"backup={truncated}")
    finally:
        sh("db1", f"rm -f {truncated}")
    output = restored.stdout + restored.stderr
    print(f"{truncated}: {size * 2 // 3} of {size} bytes")
    assert restored.returncode != 0, tail(restored)
    assert f"restore of {truncated} FAILED" in output, tail(restored)
    assert "could not be restored" in output and "was not changed" in output, tail(restored)
    assert table_fingerprints() == before
    assert api("GET", "/healthz")[0] == 200
    assert api("GET", "/books/", token=token)[0] == 200
    assert sh("web1", "test -e /etc/nginx/maintenance.on", check=False).returncode == 1
    assert psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'bookshelf\\_restore\\_%'", "postgres") == "0"
    assert not deploy_locked()
    psql("DELETE FROM books WHERE title LIKE 'bulk-%'")
