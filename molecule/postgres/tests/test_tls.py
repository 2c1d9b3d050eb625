"""TLS that authenticates the server: a client with sslmode=verify-full and the host's CA
connects by the names and addresses in the certificate, and is refused by any other name
or with another CA (what an impostor inside the network would present)."""

import shlex

import pytest

from conftest import DATABASE, PORT, RUNTIME, private_address

CA_DIR = "/etc/ssl/flaskstack-postgresql-ca"
CA = f"{CA_DIR}/ca.crt"
EXTRA_NAME = "db.flaskstack.test"  # converge.yml: postgres_ssl_extra_sans


def verified_psql(host, target: str, rootcert: str = CA, hostaddr: str | None = None):
    """SELECT over TCP as the runtime role with sslmode=verify-full against `target`."""
    name, password = RUNTIME
    conninfo = (f"host={target} port={PORT} dbname={DATABASE} user={name} "
                f"sslmode=verify-full sslrootcert={rootcert} connect_timeout=5")
    if hostaddr:
        conninfo += f" hostaddr={hostaddr}"
    return host.run(f"PGPASSWORD={shlex.quote(password)} psql -X -A -t -q -v ON_ERROR_STOP=1 "
                    f"{shlex.quote(conninfo)} -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'")


@pytest.fixture(scope="module")
def extra_name_resolves(host):
    """Point the certificate's extra DNS name at the container's private address."""
    line = f"{private_address(host)} {EXTRA_NAME}"
    host.check_output(f"grep -qxF {shlex.quote(line)} /etc/hosts || echo {shlex.quote(line)} >> /etc/hosts")
    yield EXTRA_NAME
    host.run(f"sed -i '/ {EXTRA_NAME}$/d' /etc/hosts")


def test_ca_key_is_private_to_root_and_the_ca_certificate_public(host):
    key, cert = host.file(f"{CA_DIR}/ca.key"), host.file(CA)
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)
    assert (cert.user, cert.mode) == ("root", 0o644)


def test_ca_certificate_is_a_ca_and_issued_the_server_certificate(host):
    version = host.check_output("ls /etc/postgresql").split()[0]
    ca_text = host.check_output(f"openssl x509 -in {CA} -noout -text")
    assert "CA:TRUE" in ca_text
    verify = host.run(f"openssl verify -CAfile {CA} -purpose sslserver /etc/postgresql/{version}/main/server.crt")
    assert verify.rc == 0 and verify.stdout.strip().endswith(": OK"), verify.stdout + verify.stderr


def test_server_certificate_names_the_private_address_and_host_names(host):
    version = host.check_output("ls /etc/postgresql").split()[0]
    san = host.check_output(f"openssl x509 -in /etc/postgresql/{version}/main/server.crt -noout -ext subjectAltName")
    assert f"IP Address:{private_address(host)}" in san
    assert f"DNS:{host.check_output('hostname -s')}" in san
    assert f"DNS:{EXTRA_NAME}" in san


def test_verify_full_connects_by_the_private_address(host):
    result = verified_psql(host, private_address(host))
    assert result.rc == 0 and result.stdout.strip() == "t", result.stderr


def test_verify_full_connects_by_the_host_name(host):
    result = verified_psql(host, host.check_output("hostname -s"))
    assert result.rc == 0 and result.stdout.strip() == "t", result.stderr


def test_verify_full_connects_by_an_extra_san(host, extra_name_resolves):
    result = verified_psql(host, extra_name_resolves)
    assert result.rc == 0 and result.stdout.strip() == "t", result.stderr


def test_verify_full_refuses_a_name_the_certificate_does_not_carry(host):
    # The same server and address, asked for by another name: what a client would see
    # from a server that only borrowed this one's certificate.
    result = verified_psql(host, "other-db.flaskstack.test", hostaddr=private_address(host))
    assert result.rc != 0
    assert "does not match host name" in result.stderr, result.stderr


def test_verify_full_refuses_a_server_not_issued_by_the_trusted_ca(host):
    host.check_output("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
                      "-subj '/CN=impostor CA' -keyout /tmp/impostor-ca.key -out /tmp/impostor-ca.crt 2>/dev/null")
    try:
        result = verified_psql(host, private_address(host), rootcert="/tmp/impostor-ca.crt")
        assert result.rc != 0
        assert "certificate verify failed" in result.stderr, result.stderr
    finally:
        host.run("rm -f /tmp/impostor-ca.key /tmp/impostor-ca.crt")
