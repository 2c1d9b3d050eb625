"""The shared platform runs systemd as PID 1 and can run real services."""


def test_systemd_is_pid_1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_system_is_running(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded")


def test_unit_is_enabled_and_serves(host, http):
    service = host.service("flaskstack-smoke.service")
    assert service.is_enabled
    assert service.is_running
    assert http(host, "http://127.0.0.1:8099/").status == 200


def test_unit_can_be_stopped_and_started(host, http, wait_until):
    host.check_output("systemctl stop flaskstack-smoke.service")
    assert not host.service("flaskstack-smoke.service").is_running
    host.check_output("systemctl start flaskstack-smoke.service")
    wait_until(lambda: http(host, "http://127.0.0.1:8099/").status == 200, what="smoke service")


def test_service_listens_on_loopback_only(host):
    assert host.socket("tcp://127.0.0.1:8099").is_listening
    assert not host.socket("tcp://0.0.0.0:8099").is_listening
