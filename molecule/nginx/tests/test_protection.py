"""Security headers on every response, unknown Host names get nothing,
per-client limits answer 429/413, hidden files stay hidden, maintenance mode
answers 503 but lets health checks from the allow-list through."""

import time

import pytest

from nginx_helpers import BASE, CA, burst, status_counts

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize("path,status", [("/", 200), ("/static/missing.css", 404), ("/.env", 404)])
def test_security_headers_on_every_response(http, host, path, status):
    response = http(host, f"{BASE}{path}", cacert=CA)
    assert response.status == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]


def test_legacy_xss_protection_header_is_absent(http, host):
    response = http(host, f"{BASE}/", cacert=CA)
    assert response.headers.get("x-xss-protection", "0") == "0"


def test_unknown_host_gets_the_connection_closed(host):
    # 444: nginx closes the connection without any HTTP answer.
    result = host.run("curl -sS -o /dev/null -w '%{http_code}' -H 'Host: attacker.invalid' http://127.0.0.1/")
    assert result.rc in (52, 56), (result.rc, result.stderr)
    assert result.stdout == "000"


def test_hidden_files_are_neither_served_nor_proxied(http, host):
    for path in ("/.git/config", "/static/.htpasswd"):
        response = http(host, f"{BASE}{path}", cacert=CA)
        assert response.status == 404, path
        assert "x-upstream" not in response.headers, path


def test_rapid_requests_beyond_the_burst_get_429(host):
    rows = burst(host, 40)
    counts = status_counts(rows)
    try:
        assert counts["429"] > 0, counts
        assert counts["200"] >= 10, counts  # the burst itself is served
        assert set(counts) <= {"200", "429"}, counts
    finally:
        time.sleep(2)  # let the bucket drain for the tests that follow


def test_health_checks_are_not_rate_limited(host):
    rows = burst(host, 40, url=f"{BASE}/healthz")
    assert status_counts(rows) == {"200": 40}


def test_body_over_the_limit_gets_413(host):
    code = host.check_output(
        f"head -c 2000000 /dev/zero | curl -s --cacert {CA} -o /dev/null -w '%{{http_code}}' "
        f"-X POST -H 'Content-Type: application/octet-stream' --data-binary @- {BASE}/upload")
    assert code == "413"


def test_body_under_the_limit_is_proxied(host):
    code = host.check_output(
        f"head -c 500000 /dev/zero | curl -s --cacert {CA} -o /dev/null -w '%{{http_code}}' "
        f"-X POST -H 'Content-Type: application/octet-stream' --data-binary @- {BASE}/upload")
    assert code == "200"


@pytest.fixture
def maintenance_flag(host):
    host.check_output("touch /etc/nginx/maintenance.on")
    yield
    host.check_output("rm -f /etc/nginx/maintenance.on")


def test_maintenance_flag_serves_503_with_retry_after(http, host, maintenance_flag):
    response = http(host, f"{BASE}/books", cacert=CA)
    assert response.status == 503
    assert response.headers["retry-after"] == "300"
    assert "maintenance" in response.body.lower()
    assert response.headers["x-frame-options"] == "DENY"
    assert "x-upstream" not in response.headers


def test_maintenance_lets_healthz_through_for_allowed_address(http, host, maintenance_flag):
    response = http(host, f"{BASE}/healthz", cacert=CA)
    assert response.status == 200
    assert response.headers["x-upstream"].startswith("stub-")


def test_maintenance_blocks_healthz_for_other_addresses(host, maintenance_flag):
    # Connecting to the container's own eth0 address makes that the client address.
    address = host.check_output("hostname -I").split()[0]
    code = host.check_output(
        f"curl -s --cacert {CA} -o /dev/null -w '%{{http_code}}' --resolve localhost:443:{address} {BASE}/healthz")
    assert code == "503"


def test_maintenance_off_again_when_flag_removed(http, host):
    host.check_output("rm -f /etc/nginx/maintenance.on")
    assert http(host, f"{BASE}/books", cacert=CA).status == 200
