"""Rate limits that explain themselves: sign-up and login have a stricter zone
of their own, public health checks are limited, every 429 is a short JSON body
naming the limit with Retry-After, and an exempt address (a load generator) can
sign 200 users up at 4/s without a single refusal."""

import json
import time

from nginx_helpers import BASE, CA, FROM_EXEMPT, burst, first_429, from_outside, status_counts

POST = "-X POST -H 'Content-Type: application/json' --data '{}'"


def test_429_is_json_naming_the_limit_with_retry_after(host):
    refused = first_429(host, 40)
    try:
        body = json.loads(refused.body)
        assert body["error"] == "rate_limited"
        assert body["limit"] == "req"
        assert refused.headers["content-type"] == "application/json"
        assert refused.headers["retry-after"] == "1" == str(body["retry_after"])
        assert refused.headers["ratelimit-policy"] == '"req";q=20;w=1'
        assert refused.headers["x-frame-options"] == "DENY"  # still the security headers
        assert "x-upstream" not in refused.headers
    finally:
        time.sleep(2)  # let the bucket drain for the tests that follow


def test_login_has_a_stricter_zone_of_its_own(host):
    # 12 logins at 4/s: far below the general 20 r/s, above the auth zone's 30 r/m + burst 3.
    refused = first_429(host, 12, url=f"{BASE}/auth/login", curl_args=POST, pause=0.25)
    body = json.loads(refused.body)
    assert body["limit"] == "auth", body
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["ratelimit-policy"] == '"auth";q=30;w=60'


def test_register_shares_the_auth_zone(host):
    # The bucket is still full from the login test: sign-up is refused at once.
    refused = first_429(host, 5, url=f"{BASE}/auth/register", curl_args=POST, pause=0)
    assert json.loads(refused.body)["limit"] == "auth"


def test_health_checks_from_outside_are_rate_limited(host):
    # /healthz and /ping share the health zone (a burst of /healthz?n=... would be
    # refused as deep probes from outside, so the burst goes to /ping).
    refused = first_429(host, 40, url=f"{BASE}/ping", curl_args=from_outside(host))
    assert json.loads(refused.body)["limit"] == "health"
    assert refused.headers["ratelimit-policy"] == '"health";q=5;w=1'
    time.sleep(2)


def test_exempt_address_is_not_limited_by_the_per_ip_zones(host):
    # The same burst that gets 429s from 127.0.0.1 (test_protection) passes from the exempt address.
    rows = burst(host, 60, curl_args=FROM_EXEMPT)
    assert status_counts(rows) == {"200": 60}


def test_exempt_address_signs_up_200_users_at_4_per_second_without_a_refusal(host):
    # The seed story's load test from one address: each user registers and logs
    # in once, 4 users spawned per second (8 auth requests/s).
    started = time.monotonic()
    out = host.check_output(
        "rm -f /tmp/signup-codes; for i in $(seq 1 200); do "
        f"( for path in register login; do curl -s --cacert {CA} {FROM_EXEMPT} {POST} -o /dev/null "
        f"--max-time 10 -w '%{{http_code}}\\n' {BASE}/auth/$path >> /tmp/signup-codes; done ) & "
        "sleep 0.25; done; wait; sort /tmp/signup-codes | uniq -c; rm -f /tmp/signup-codes")
    print(f"200 users signed up and in from one exempt address in {time.monotonic() - started:.0f}s: {out.split()}")
    counts = {code: int(n) for n, code in zip(out.split()[::2], out.split()[1::2])}
    assert counts == {"200": 400}, counts


def test_exempt_address_still_meets_a_bounded_auth_zone(host):
    # Exempt is not unlimited on the password-hash endpoints: its own zone (lab: 20 r/s, burst 20).
    refused = first_429(host, 150, url=f"{BASE}/auth/login", curl_args=f"{FROM_EXEMPT} {POST}", parallel=30)
    assert json.loads(refused.body)["limit"] == "auth_exempt"
    time.sleep(2)
