"""The vhost proxies to the upstream group: load is spread, a dead upstream
costs no failed request, the app learns who asked and the request id, static
files and the access log come from nginx itself."""

import json
import re
import time

from nginx_helpers import BASE, CA, codes_and_upstreams, status_counts


def test_requests_are_spread_over_both_upstreams(host):
    rows = codes_and_upstreams(host, 12)
    assert status_counts(rows) == {"200": 12}
    assert {upstream for _, upstream in rows} == {"stub-8001", "stub-8002"}


def test_stopped_upstream_costs_no_failed_get(host, wait_until, http):
    host.check_output("systemctl stop stub-upstream@8002.service")
    try:
        rows = codes_and_upstreams(host, 20)
        assert status_counts(rows) == {"200": 20}, rows
        assert {upstream for _, upstream in rows} == {"stub-8001"}
    finally:
        host.check_output("systemctl start stub-upstream@8002.service")
        wait_until(lambda: http(host, "http://127.0.0.1:8002/").status == 200, what="stub 8002 back")
    # Let fail_timeout (10s) pass so the next tests see both servers again.
    time.sleep(10)


def test_request_id_is_passed_through(http, host):
    response = http(host, f"{BASE}/", cacert=CA, headers={"X-Request-ID": "deploy-check-42"})
    assert response.headers["x-seen-request-id"] == "deploy-check-42"
    assert response.headers["x-request-id"] == "deploy-check-42"


def test_request_id_is_generated_when_absent(http, host):
    response = http(host, f"{BASE}/", cacert=CA)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-seen-request-id"])
    assert response.headers["x-request-id"] == response.headers["x-seen-request-id"]


def test_malformed_request_id_is_replaced(http, host):
    response = http(host, f"{BASE}/", cacert=CA, headers={"X-Request-ID": "bad id\" injected"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-seen-request-id"])


def test_app_learns_the_original_scheme_and_client(http, host):
    response = http(host, f"{BASE}/", cacert=CA)
    assert response.headers["x-seen-forwarded-proto"] == "https"
    assert response.headers["x-seen-forwarded-for"] == "127.0.0.1"


def test_static_files_are_served_by_nginx(http, host):
    response = http(host, f"{BASE}/static/app.css", cacert=CA)
    assert response.status == 200
    assert "color: #222" in response.body
    assert "x-upstream" not in response.headers
    assert "max-age=604800" in response.headers["cache-control"]


def test_access_log_is_json_with_request_id_upstream_and_timings(http, host):
    http(host, f"{BASE}/logged", cacert=CA, headers={"X-Request-ID": "log-probe-7"})
    line = host.check_output("grep -F '\"request_id\":\"log-probe-7\"' /var/log/nginx/access.log | tail -n1")
    entry = json.loads(line)
    assert entry["status"] == 200
    assert entry["uri"] == "/logged"
    assert entry["upstream_addr"] in ("127.0.0.1:8001", "127.0.0.1:8002")
    assert float(entry["upstream_response_time"]) >= 0
    assert float(entry["request_time"]) >= 0
