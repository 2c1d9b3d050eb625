"""What only internal clients (loopback, nginx_internal_cidrs) get: deep
health probes and the app's identity headers; and what nobody gets: gzip on
proxied responses (BREACH)."""

import json

from nginx_helpers import BASE, CA, from_outside


def test_deep_health_probe_is_refused_from_outside(http, host):
    response = http(host, f"{BASE}/healthz?write=1", cacert=CA, extra=from_outside(host).split())
    assert response.status == 403
    assert json.loads(response.body)["error"] == "forbidden"
    assert "x-upstream" not in response.headers  # never reached the app


def test_plain_healthz_stays_open_from_outside(http, host):
    response = http(host, f"{BASE}/healthz", cacert=CA, extra=from_outside(host).split())
    assert response.status == 200
    assert response.headers["x-upstream"].startswith("stub-")


def test_deep_health_probe_reaches_the_app_from_loopback(http, host):
    response = http(host, f"{BASE}/healthz?write=1", cacert=CA)
    assert response.status == 200
    assert response.body.startswith("stub-") and "/healthz?write=1" in response.body


def test_identity_headers_are_hidden_from_outside(http, host):
    response = http(host, f"{BASE}/books", cacert=CA, extra=from_outside(host).split())
    assert response.status == 200
    assert "x-served-by" not in response.headers
    assert "x-release-id" not in response.headers


def test_identity_headers_reach_internal_clients(http, host):
    response = http(host, f"{BASE}/books", cacert=CA)
    assert response.headers["x-served-by"] == response.headers["x-upstream"]
    assert response.headers["x-release-id"] == "stub-release"


def test_proxied_responses_are_never_gzipped(http, host):
    # A text/plain answer well over gzip_min_length, as a JSON/HTML page with a token would be.
    response = http(host, f"{BASE}/page?pad={'a' * 600}", cacert=CA, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200 and len(response.body) > 600
    assert "content-encoding" not in response.headers


def test_static_files_are_gzipped(host):
    encoding = host.check_output(
        f"curl -s --cacert {CA} -H 'Accept-Encoding: gzip' -o /dev/null -w '%header{{content-encoding}}' "
        f"{BASE}/static/big.css")
    assert encoding == "gzip"
