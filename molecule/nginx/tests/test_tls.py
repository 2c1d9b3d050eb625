"""TLS follows Mozilla's intermediate profile: TLS 1.2/1.3 only, ECDHE AEAD
suites, HTTP/2, HSTS, plain HTTP redirected; unknown SNI names are refused."""

import pytest

from nginx_helpers import BASE, CA, openssl_client


def test_plain_http_redirects_to_https(http, host):
    response = http(host, "http://localhost/books?page=2")
    assert response.status == 301
    assert response.headers["location"] == "https://localhost/books?page=2"


def test_hsts_is_two_years(http, host):
    response = http(host, f"{BASE}/", cacert=CA)
    assert response.headers["strict-transport-security"] == "max-age=63072000"


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_tls_versions_are_refused_by_the_server(host, version):
    # SECLEVEL=0 lets OpenSSL 3 *offer* TLS 1.0/1.1, so the refusal we see is
    # the server's protocol_version alert, not the client's own policy.
    result = openssl_client(host, version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert result.rc != 0
    assert "alert protocol version" in result.stdout, result.stdout


@pytest.mark.parametrize("version,name", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_current_tls_versions_are_accepted(host, version, name):
    result = openssl_client(host, version)
    assert result.rc == 0, result.stdout
    assert f"Protocol  : {name}" in result.stdout or f"New, {name}" in result.stdout, result.stdout


def test_tls12_negotiates_an_ecdhe_aead_suite(host):
    result = openssl_client(host, "-tls1_2")
    cipher = next(line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                  if line.strip().startswith("Cipher    :") or line.strip().startswith("Cipher is"))
    assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher


def test_tls12_cbc_suite_is_refused(host):
    result = openssl_client(host, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA")
    assert result.rc != 0
    assert "handshake failure" in result.stdout, result.stdout


def test_http2_is_negotiated(host):
    version = host.check_output(f"curl -s --cacert {CA} --http2 -o /dev/null -w '%{{http_version}}' {BASE}/")
    assert version == "2"


def test_unknown_sni_name_is_refused_in_the_handshake(host):
    result = host.run("openssl s_client -connect 127.0.0.1:443 -servername scanner.invalid </dev/null 2>&1")
    assert result.rc != 0
    assert "unrecognized name" in result.stdout, result.stdout
