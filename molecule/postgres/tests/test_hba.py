"""Client authentication: pg_hba.conf parsed cleanly, TLS-only for remote clients, refusals."""

import pytest

from conftest import OWNER, RUNTIME, psql_tcp


def test_hba_file_is_only_readable_by_postgres(host):
    version = host.check_output("ls /etc/postgresql").split()[0]
    hba = host.file(f"/etc/postgresql/{version}/main/pg_hba.conf")
    assert hba.user == "postgres" and hba.mode == 0o600


def test_hba_rules_parse_without_errors(admin):
    assert int(admin("SELECT count(*) FROM pg_hba_file_rules")) > 0
    assert admin("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL") == "0"


def test_hba_has_no_trust_or_md5(admin):
    assert admin("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method IN ('trust', 'md5', 'password')") == "0"


def test_remote_clients_can_only_authenticate_over_tls(admin):
    # plain `host` lines may only reject (or serve the loopback)
    plain = admin("SELECT count(*) FROM pg_hba_file_rules WHERE type IN ('host', 'hostnossl') "
                  "AND auth_method <> 'reject' AND address NOT IN ('127.0.0.1', '::1')")
    assert plain == "0"


def test_everything_else_is_rejected_last(admin):
    last = admin("SELECT type || ' ' || auth_method FROM pg_hba_file_rules ORDER BY line_number DESC LIMIT 3")
    assert last.splitlines() == ["host reject", "host reject", "local reject"]


def test_non_tls_remote_connection_is_refused(host):
    result = psql_tcp(host, "SELECT 1", RUNTIME, sslmode="disable")
    assert result.rc != 0
    assert "no encryption" in result.stderr or "rejects connection" in result.stderr, result.stderr


def test_wrong_password_is_refused(host):
    result = psql_tcp(host, "SELECT 1", (RUNTIME[0], "not-the-password"))
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


@pytest.mark.parametrize("user", [OWNER, RUNTIME], ids=["owner", "runtime"])
def test_app_roles_cannot_log_in_over_the_socket(host, user):
    name, password = user
    result = host.run(f"PGPASSWORD='{password}' psql -X -h /var/run/postgresql -U {name} -d bookshelf -c 'SELECT 1'")
    assert result.rc != 0
    assert "rejects connection" in result.stderr or "no pg_hba.conf entry" in result.stderr, result.stderr
