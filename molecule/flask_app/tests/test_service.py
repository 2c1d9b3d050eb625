"""The deployed app runs supervised, as its own user, reachable only where it should be."""

import re

from fa_helpers import APP, ENV_FILE, ROOT, SECRETS, SOCKET, main_pid, snapshot


def test_service_and_socket_are_enabled_and_running(host):
    for unit in (f"{APP}.service", f"{APP}.socket"):
        assert host.service(unit).is_enabled, unit
        assert host.service(unit).is_running, unit


def test_gunicorn_master_and_workers_run_as_the_app_user(host):
    master = main_pid(host)
    users = host.check_output(f"ps -o user:32= -p {master} --ppid {master}").split()
    assert len(users) >= 2
    assert set(users) == {APP}


def test_healthz_serves_the_release_current_points_at(host):
    state = snapshot(host)
    meta = host.file(f"{ROOT}/current/metadata.json").content_string
    assert state["health_status"] == 200
    assert state["health"]["db"] == "ok"
    assert state["health"]["release"] == state["current"]
    assert f'"release": "{state["current"]}"' in meta


def test_socket_is_reachable_by_nginx_group_only(host):
    sock = host.file(SOCKET)
    assert sock.is_socket
    assert (sock.user, sock.group, sock.mode) == ("root", "www-data", 0o660)
    url = "http://localhost/ping"
    assert host.run(f"runuser -u www-data -- curl -sf --unix-socket {SOCKET} {url}").rc == 0
    refused = host.run(f"runuser -u nobody -- curl -sS --unix-socket {SOCKET} {url}")
    assert refused.rc == 7, refused.stderr  # curl: could not connect


def test_nothing_listens_on_tcp_outside_loopback(host):
    local = [line.split()[3] for line in host.check_output("ss -Htln").splitlines()]
    exposed = [a for a in local if not re.match(r"^(127\.|\[::1\]|::1)", a)]
    assert exposed == []


def test_env_file_is_root_only(host):
    env = host.file(ENV_FILE)
    assert (env.user, env.group, env.mode) == ("root", "root", 0o600)
    assert f'SECRET_KEY="{SECRETS[0]}"' in env.content_string


def test_secrets_never_appear_on_a_command_line(host):
    args = host.check_output("ps -eo args")
    assert [s for s in SECRETS if s in args] == []


def test_code_is_read_only_to_the_app_user_and_shared_is_writable(host):
    venv = f"{ROOT}/current/venv"
    assert host.run(f"runuser -u {APP} -- touch {venv}/lib/planted").rc != 0
    assert host.file(f"{ROOT}/current/").user == "root"
    assert host.run(f"runuser -u {APP} -- touch {ROOT}/shared/probe && rm {ROOT}/shared/probe").rc == 0


def test_systemd_security_exposure_is_at_most_2_5(host):
    out = host.check_output(f"systemd-analyze security --no-pager {APP}.service")
    level = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    assert level <= 2.5, out.splitlines()[-1]


def test_stop_timeout_exceeds_gunicorn_graceful_timeout(host):
    stop = host.check_output(f"systemctl show -p TimeoutStopUSec --value {APP}.service")
    graceful = re.search(r"^graceful_timeout = (\d+)$", host.file(f"/etc/{APP}/gunicorn.conf.py").content_string, re.M)
    assert int(stop.rstrip("s")) > int(graceful.group(1))


def test_migrations_created_the_schema_as_the_owner_role(host):
    owners = host.check_output("runuser -u postgres -- psql -XAt -d bookshelf -c "
                               "\"select distinct tableowner from pg_tables where schemaname = 'public'\"")
    assert owners.split() == ["bookshelf_owner"]


def test_release_metadata_records_the_shipped_artifact_sha256(host):
    meta = host.file(f"{ROOT}/current/metadata.json").content_string
    tar_sha = host.check_output(f"sha256sum {ROOT}/current/wheelhouse.tar").split()[0]
    assert f'"artifact_sha256": "{tar_sha}"' in meta
    assert '"deployed_at": "' in meta


def test_ledger_records_the_live_release(host):
    state = snapshot(host)
    last = state["ledger_last"]
    assert last["outcome"] == "success"
    assert last["release"] == state["current"]
