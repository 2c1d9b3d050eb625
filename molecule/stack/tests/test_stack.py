"""End-to-end behaviour of the composed stack (db1, app1, app2, web1).

Traffic goes to nginx through the port published on 127.0.0.1 only, and
between the scenario's own containers.
"""

from __future__ import annotations

import time

import pytest

# The scenario's one HTTP client and constants, shared with the fault-injection tests.
from chaos_helpers import APP_HOSTS, BASE, SERVICE, api, new_token

testinfra_hosts = ["web1"]


def private_address(host) -> str:
    return host.ansible("setup", "filter=ansible_default_ipv4")["ansible_facts"]["ansible_default_ipv4"]["address"]


def tcp_connects(src, address: str, port: int) -> bool:
    probe = (f"python3 -c \"import socket,sys; s=socket.socket(); s.settimeout(3); "
             f"sys.exit(s.connect_ex(('{address}', {port})))\"")
    return src.run(probe).rc == 0


@pytest.fixture(scope="module")
def user_token():
    return new_token()


def test_healthz_through_nginx_reports_the_database_ok():
    status, body, _ = api("GET", "/healthz")
    assert status == 200 and body["db"] == "ok"


def test_full_api_flow_through_nginx(user_token):
    status, book, _ = api("POST", "/books/", {"title": "End to end"}, user_token)
    assert status == 201
    assert api("PUT", f"/books/{book['id']}", {"title": "Renamed"}, user_token)[0] == 200
    assert api("GET", f"/books/{book['id']}")[1]["title"] == "Renamed"
    assert api("DELETE", f"/books/{book['id']}", token=user_token)[0] == 204
    assert api("GET", f"/books/{book['id']}")[0] == 404


def test_requests_are_spread_over_both_app_hosts(load):
    result = load(BASE + "/ping", requests=40, concurrency=4)
    print(result)
    assert result.failed == 0
    assert set(APP_HOSTS) <= set(result.served_by)


def test_stopping_app1_drops_no_request(molecule_host, load, wait_until):
    app1 = molecule_host("app1")
    # Stop the socket too, or systemd would start the service again on the next connection.
    app1.check_output(f"systemctl stop {SERVICE}.socket {SERVICE}.service")
    try:
        # /ping is proxied without nginx's per-client rate limit (the API is not).
        result = load(BASE + "/ping", requests=60, concurrency=4)
        print(result)
        assert result.failed == 0, result
        assert result.served_by.get("app2", 0) == result.total
    finally:
        app1.check_output(f"systemctl start {SERVICE}.socket {SERVICE}.service")
    wait_until(lambda: set(APP_HOSTS) <= set(load(BASE + "/ping", requests=20).served_by),
               timeout=30, what="app1 back in rotation")


def test_db_port_is_reachable_from_app_hosts_only(molecule_host):
    db = private_address(molecule_host("db1"))
    for name in APP_HOSTS:
        assert tcp_connects(molecule_host(name), db, 5432), f"{name} cannot reach PostgreSQL"
    assert not tcp_connects(molecule_host("web1"), db, 5432)


def test_gunicorn_is_reachable_from_web1_only(molecule_host):
    for name in APP_HOSTS:
        address = private_address(molecule_host(name))
        assert tcp_connects(molecule_host("web1"), address, 8000)
        assert not tcp_connects(molecule_host("db1"), address, 8000)


def test_database_refuses_the_web_host_even_past_the_firewall(molecule_host):
    # pg_hba rejects anything but the app hosts, whatever the network allows.
    db1 = molecule_host("db1")
    rules = db1.check_output("runuser -u postgres -- psql -Atc "
                             "\"select type, address from pg_hba_file_rules where type like 'host%'\"")
    web = private_address(molecule_host("web1"))
    assert web not in rules


def test_restarting_every_container_brings_the_stack_back(molecule_host, wait_until):
    import subprocess

    names = ["db1", "app1", "app2", "web1"]
    containers = [f"flaskstack-stack-{n}" for n in names]
    subprocess.run(["docker", "restart", "-t", "20", *containers], check=True, capture_output=True, timeout=180)
    started = time.monotonic()

    def healthy():
        status, body, _ = api("GET", "/healthz")
        return status == 200 and body["db"] == "ok"

    wait_until(healthy, timeout=120, interval=2, what="stack healthy after docker restart")
    print(f"stack healthy {time.monotonic() - started:.1f}s after docker restart")
    result_hosts = {api("GET", "/ping")[2].get("X-Served-By") for _ in range(20)}
    assert set(APP_HOSTS) <= result_hosts
