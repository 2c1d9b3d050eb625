"""The server: running, listening where configured, scram + TLS, tuned, private files."""

from conftest import PORT, private_address


def test_cluster_runs_and_starts_at_boot(host):
    version = host.check_output("ls /etc/postgresql").split()[0]
    assert host.service(f"postgresql@{version}-main").is_running
    assert host.service("postgresql").is_enabled


def test_listens_only_on_loopback_and_the_private_address(host):
    listening = set(host.check_output(f"ss -Hltn 'sport = :{PORT}' | awk '{{print $4}}'").split())
    assert f"127.0.0.1:{PORT}" in listening
    assert f"{private_address(host)}:{PORT}" in listening
    assert listening <= {f"127.0.0.1:{PORT}", f"[::1]:{PORT}", f"{private_address(host)}:{PORT}"}


def test_passwords_are_stored_as_scram(admin):
    assert admin("SHOW password_encryption") == "scram-sha-256"
    assert admin("SELECT count(*) FROM pg_authid WHERE rolname LIKE 'bookshelf%' "
                 "AND rolpassword NOT LIKE 'SCRAM-SHA-256$%'") == "0"


def test_ssl_is_on_with_tls12_minimum(admin):
    assert admin("SHOW ssl") == "on"
    assert admin("SHOW ssl_min_protocol_version") == "TLSv1.2"


def test_app_connections_are_encrypted(as_runtime):
    result = as_runtime("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert result.rc == 0, result.stderr
    ssl, version = result.stdout.strip().split("|")
    assert ssl == "t" and version in ("TLSv1.2", "TLSv1.3")


def test_memory_tuning_follows_the_formula(admin):
    # converge.yml: postgres_memory_mb 1024 and the default app tier (2 x 4 x 15 x 2 + 15).
    assert admin("SHOW shared_buffers") == "256MB"
    assert admin("SHOW effective_cache_size") == "768MB"
    assert admin("SHOW max_connections") == "255"


def test_no_setting_waits_for_a_restart(admin):
    assert admin("SELECT count(*) FROM pg_settings WHERE pending_restart") == "0"


def test_config_and_data_dirs_are_private_to_postgres(host):
    version = host.check_output("ls /etc/postgresql").split()[0]
    for path in (f"/etc/postgresql/{version}/main", f"/etc/postgresql/{version}/main/conf.d",
                 f"/var/lib/postgresql/{version}/main"):
        d = host.file(path)
        assert d.is_directory and d.user == "postgres" and d.group == "postgres"
        assert d.mode & 0o077 == 0, f"{path} mode {oct(d.mode)}"


def test_tls_key_is_private_to_postgres(host):
    version = host.check_output("ls /etc/postgresql").split()[0]
    key = host.file(f"/etc/postgresql/{version}/main/server.key")
    assert key.user == "postgres" and key.mode == 0o600
