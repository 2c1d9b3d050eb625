"""nginx is installed as a service, its configuration is valid, the packaged
default site is gone and nothing advertises the nginx version."""

import re

from nginx_helpers import BASE, CA


def test_nginx_is_running_and_enabled(host):
    service = host.service("nginx")
    assert service.is_running
    assert service.is_enabled


def test_whole_configuration_passes_nginx_t(host):
    result = host.run("nginx -t")
    assert result.rc == 0, result.stderr
    assert "test is successful" in result.stderr


def test_packaged_default_site_is_removed(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert not host.file("/etc/nginx/sites-available/default").exists


def test_welcome_page_is_not_served(http, host):
    response = http(host, f"{BASE}/", cacert=CA)
    assert "Welcome to nginx" not in response.body
    assert response.headers.get("x-upstream", "").startswith("stub-")


def test_server_header_carries_no_version(http, host):
    server = http(host, f"{BASE}/", cacert=CA).headers["server"]
    assert server == "nginx"
    assert not re.search(r"\d", server)


def test_error_pages_carry_no_version(http, host):
    response = http(host, f"{BASE}/static/missing.css", cacert=CA)
    assert response.status == 404
    assert not re.search(r"nginx/\d", response.body)


def test_nginx_answers_on_the_configured_ports_only(host):
    assert host.socket("tcp://0.0.0.0:80").is_listening
    assert host.socket("tcp://0.0.0.0:443").is_listening
    listening = host.check_output("ss -Hltnp | grep nginx | awk '{print $4}' | sort -u")
    assert set(listening.split()) == {"0.0.0.0:80", "0.0.0.0:443"}
