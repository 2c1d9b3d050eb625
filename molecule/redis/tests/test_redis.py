"""Redis behaviour on both distributions: who gets in, what they may do, what survives."""

from __future__ import annotations

import time

from conftest import PASSWORD, PORT, USER, private_address, redis_cli

testinfra_hosts = ["redis12", "redis13"]


def test_server_runs_and_starts_at_boot(host):
    assert host.service("redis-server").is_running
    assert host.service("redis-server").is_enabled


def test_listens_only_on_loopback_and_the_private_address(host):
    listening = set(host.check_output(f"ss -Hltn 'sport = :{PORT}' | awk '{{print $4}}'").split())
    assert f"127.0.0.1:{PORT}" in listening
    assert f"{private_address(host)}:{PORT}" in listening
    assert listening <= {f"127.0.0.1:{PORT}", f"[::1]:{PORT}", f"{private_address(host)}:{PORT}"}


def test_a_command_without_auth_is_refused(host, app1):
    result = redis_cli(app1, private_address(host), "SET", "k", "v")
    assert "NOAUTH" in result.stdout + result.stderr


def test_a_wrong_password_is_refused(host, app1):
    result = redis_cli(app1, private_address(host), "PING", user=USER, password="not-" + PASSWORD)
    assert "WRONGPASS" in result.stdout + result.stderr


def test_the_default_user_is_disabled(host, app1, as_admin):
    for password in ("anything", PASSWORD):
        result = redis_cli(app1, private_address(host), "PING", user="default", password=password)
        assert "WRONGPASS" in result.stdout + result.stderr
    flags = as_admin("ACL", "GETUSER", "default").splitlines()
    assert "off" in flags and "on" not in flags


def test_the_app_user_can_cache_and_queue(as_app):
    assert as_app("SET", "cache:greeting", "hello", "EX", "60").stdout.strip() == "OK"
    assert as_app("GET", "cache:greeting").stdout.strip() == "hello"
    as_app("DEL", "queue:jobs")
    assert as_app("LPUSH", "queue:jobs", "job-1").stdout.strip() == "1"
    assert as_app("BRPOP", "queue:jobs", "5").stdout.split() == ["queue:jobs", "job-1"]
    assert as_app("PUBLISH", "rq:pubsub:worker", "ping").rc == 0


def test_the_app_connects_with_the_redis_url_it_is_given(host, app1):
    # converge.yml wrote app1's flaskstack_redis_url (the app env's REDIS_URL); it names redis12.
    url = app1.check_output("cat /root/redis_url").strip()
    assert url.startswith(f"redis://{USER}:") and url.endswith(f":{PORT}/0")
    if host.backend.get_hostname() == "redis12":
        assert f"@{private_address(host)}:" in url
        result = app1.run(f"timeout 20 redis-cli --no-auth-warning -u '{url}' PING")
        assert result.stdout.strip() == "PONG", result.stdout + result.stderr


def test_dangerous_commands_are_refused_to_the_app_user(as_app):
    for command in (["FLUSHALL"], ["FLUSHDB"], ["KEYS", "*"], ["CONFIG", "GET", "maxmemory"],
                    ["DEBUG", "SLEEP", "0"], ["SHUTDOWN"], ["ACL", "LIST"], ["REPLICAOF", "NO", "ONE"],
                    ["CLIENT", "KILL", "ID", "1"]):
        answer = (result := as_app(*command)).stdout + result.stderr
        # DEBUG is also off for every remote client (enable-debug-command no, Redis's default).
        assert "NOPERM" in answer or "DEBUG command not allowed" in answer, f"{command}: {answer}"
    # An RQ worker lists the connections to find its own address at start.
    assert "addr=" in as_app("CLIENT", "LIST").stdout


def test_an_unlisted_host_is_refused_while_the_app_host_gets_in(host, app1, molecule_host):
    # The other redis host is not an app or worker host: the firewall resets its connection.
    other = molecule_host("redis13" if host.backend.get_hostname() == "redis12" else "redis12")
    address = private_address(host)
    probe = f"timeout 5 bash -c 'exec 3<>/dev/tcp/{address}/{PORT}'"
    refused = other.run(probe)
    assert refused.rc != 0 and "refused" in refused.stderr.lower(), refused.stderr
    assert app1.run(probe).rc == 0


def test_writes_survive_a_crash_through_the_append_only_file(host, as_app):
    assert "aof_enabled:1" in as_app("INFO", "persistence").stdout
    value = f"survives-{time.time_ns()}"
    assert as_app("SET", "aof:probe", value).stdout.strip() == "OK"
    time.sleep(2)  # appendfsync everysec
    pid = host.check_output("systemctl show -P MainPID redis-server")
    host.check_output("systemctl kill -s KILL redis-server")  # no shutdown save: only the AOF can keep it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new_pid = host.check_output("systemctl show -P MainPID redis-server")
        if new_pid not in ("0", pid) and as_app("PING").stdout.strip() == "PONG":
            break
        time.sleep(0.5)
    else:
        raise AssertionError("redis-server did not come back within 30 s after SIGKILL")
    assert as_app("GET", "aof:probe").stdout.strip() == value


def test_maxmemory_refuses_writes_instead_of_evicting(as_app):
    info = as_app("INFO", "memory").stdout
    assert "maxmemory:16777216" in info  # redis_maxmemory_mb: 16 in the scenario
    assert "maxmemory_policy:noeviction" in info
    megabyte = "head -c 1048576 /dev/zero | tr '\\0' x"
    outcomes = []
    try:
        for i in range(40):  # 40 MB at most into a 16 MB instance
            outcome = as_app("-x", "SET", f"fill:{i}", stdin=megabyte).stdout.strip()
            outcomes.append(outcome)
            if "OOM" in outcome:
                break
        assert any("OOM command not allowed" in o for o in outcomes), outcomes[-3:]
        assert as_app("EXISTS", "fill:0").stdout.strip() == "1"  # nothing was evicted
    finally:
        as_app("DEL", *[f"fill:{i}" for i in range(40)])


def test_config_and_acl_files_are_private_and_hold_no_plain_password(host):
    for path in ("/etc/redis/redis.conf", "/etc/redis/users.acl"):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "redis", 0o640), path
    admin = host.file("/etc/redis/admin.pass")
    assert (admin.user, admin.group, admin.mode) == ("root", "root", 0o600)
    assert PASSWORD not in host.check_output("cat /etc/redis/users.acl")


def test_the_config_checker_refuses_a_bad_file_and_passes_the_live_ones(host):
    assert host.run("/usr/local/sbin/redis-check-config conf /etc/redis/redis.conf").rc == 0
    assert host.run("/usr/local/sbin/redis-check-config acl /etc/redis/users.acl").rc == 0
    host.check_output("printf 'maxmemory 1mb\\nno-such-directive yes\\n' > /tmp/bad.conf")
    host.check_output("printf 'user app on >pw +@nonexistent\\n' > /tmp/bad.acl")
    bad_conf = host.run("/usr/local/sbin/redis-check-config conf /tmp/bad.conf")
    bad_acl = host.run("/usr/local/sbin/redis-check-config acl /tmp/bad.acl")
    assert bad_conf.rc != 0 and "no-such-directive" in bad_conf.stderr, bad_conf.stderr
    assert bad_acl.rc != 0, bad_acl.stderr


def test_the_unit_is_hardened(host):
    result = host.run("systemd-analyze security redis-server.service --no-pager")
    overall = [line for line in result.stdout.splitlines() if "Overall exposure level" in line]
    print(f"{host.backend.get_hostname()}: {overall}")
    exposure = float(overall[0].split(":")[1].split()[0])
    assert exposure <= 2.0, overall
