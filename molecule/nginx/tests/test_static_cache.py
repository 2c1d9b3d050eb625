"""The app's static URL (/assets/ in the lab) is cached by nginx from the
upstream: a file costs the app one request per cache lifetime, clients get a
long Cache-Control, and nothing user-specific is ever cached or shared.

Every test asks for a URL of its own (a fresh uuid), so the counts hold on a
re-run of verify against a warm cache."""

import uuid

from nginx_helpers import BASE, CA, burst, status_counts

CACHE_DIR = "/var/cache/nginx/flaskstack-static"
LONG_CACHE_CONTROL = "public, max-age=604800"


def fresh(prefix: str = "/assets/") -> str:
    return f"{prefix}{uuid.uuid4().hex}.css"


def upstream_hits(host, path: str) -> int:
    """How many requests for exactly `path` (with query) both stubs answered."""
    return sum(int(host.check_output(f"curl -sf 'http://127.0.0.1:{port}/__hits?{path}'"))
               for port in (8001, 8002))


def test_static_file_fetched_twice_reaches_the_app_once(http, host):
    path = fresh()
    first = http(host, f"{BASE}{path}", cacert=CA)
    second = http(host, f"{BASE}{path}", cacert=CA)
    assert (first.status, second.status) == (200, 200)
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert second.body == first.body
    assert upstream_hits(host, path) == 1


def test_cached_file_carries_the_long_cache_control_instead_of_the_apps(http, host):
    path = fresh()
    http(host, f"{BASE}{path}", cacert=CA)
    response = http(host, f"{BASE}{path}", cacert=CA)
    # The stub says "no-cache" like Flask's static route; exactly one header, ours.
    assert response.headers["cache-control"] == LONG_CACHE_CONTROL
    assert "expires" not in response.headers
    # Security headers are repeated in the static location (add_header inheritance).
    assert response.headers["x-content-type-options"] == "nosniff"


def test_response_with_set_cookie_is_never_cached(http, host):
    path = f"{fresh()}?set_cookie=1"
    answers = [http(host, f"{BASE}{path}", cacert=CA) for _ in range(2)]
    assert [a.headers.get("x-cache-status") for a in answers] == ["MISS", "MISS"]
    assert upstream_hits(host, path) == 2
    for answer in answers:
        assert "set-cookie" in answer.headers
        assert answer.headers["cache-control"] == "no-store"


def test_non_static_path_is_never_cached(http, host):
    path = f"/{uuid.uuid4().hex}"
    answers = [http(host, f"{BASE}{path}", cacert=CA) for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert all("x-cache-status" not in a.headers for a in answers)
    assert upstream_hits(host, path) == 2


def test_client_cookie_does_not_reach_the_app_on_cached_paths(http, host):
    cookie = {"Cookie": "session=user-secret"}
    cached = http(host, f"{BASE}{fresh()}", cacert=CA, headers=cookie)
    assert cached.headers["x-cache-status"] == "MISS"
    assert cached.headers.get("x-seen-cookie", "") == ""
    # Contrast: the app itself still gets its cookies.
    assert http(host, f"{BASE}/{uuid.uuid4().hex}", cacert=CA, headers=cookie).headers["x-seen-cookie"] \
        == "session=user-secret"


def test_cached_paths_take_only_get_and_head(http, host):
    path = fresh()
    assert http(host, f"{BASE}{path}", method="POST", data="x=1", cacert=CA).status == 403
    assert http(host, f"{BASE}{path}", method="HEAD", cacert=CA, extra=["--head"]).status == 200
    assert upstream_hits(host, path) == 1


def test_cached_paths_are_outside_the_per_address_rate_limit(host):
    # 40 at once trips the lab's req zone (20r/s, burst 10) on any app path;
    # a page's many static files must not.
    rows = burst(host, 40, f"{BASE}{fresh()}")
    assert status_counts(rows) == {"200": 40}, rows


def test_cache_dir_belongs_to_nginx_user_and_is_private(http, host):
    path = fresh()
    http(host, f"{BASE}{path}", cacert=CA)
    cache = host.file(CACHE_DIR)
    assert (cache.user, cache.group) == ("www-data", "www-data")
    assert cache.mode == 0o700, oct(cache.mode)
    entries = host.check_output(f"find {CACHE_DIR} -type f").split()
    assert entries, "the cached file is not on disk"
    assert host.check_output(f"find {CACHE_DIR} -type f \\( ! -user www-data -o -perm /o+r \\)") == ""
