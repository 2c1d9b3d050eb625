"""The app verifies the database server (sslmode=verify-full against db1's CA).

The app's runtime and migrate URLs name the CA file the stack ships from db1; the app's
own libpq (psycopg's, from the release venv) connects with the app's DATABASE_URL and is
refused when it asks for a name the server's certificate does not carry.
"""

from __future__ import annotations

import json
import shlex

import pytest

from chaos_helpers import APP_HOSTS, SERVICE, api

testinfra_hosts = ["web1"]

ENV_FILE = f"/etc/{SERVICE}/{SERVICE}.env"
APP_CA = f"/etc/{SERVICE}/db-ca.crt"
DB_CA = "/etc/ssl/flaskstack-postgresql-ca/ca.crt"

# Runs on an app host as root with the release's Python: connect with the app's own
# DATABASE_URL (libpq from psycopg[binary]), optionally asking for another host name.
PROBE = r'''
import json, sys, psycopg
env = {}
for line in open(sys.argv[1]):
    name, sep, value = line.rstrip("\n").partition("=")
    if sep and not name.startswith("#"):
        env[name] = value.strip('"')
url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
extra = json.loads(sys.argv[2])
out = {"libpq": psycopg.pq.version()}
try:
    with psycopg.connect(url, connect_timeout=5, **extra) as conn:
        out["ssl"] = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0]
except psycopg.OperationalError as exc:
    out["error"] = str(exc)
print(json.dumps(out))
'''


def _address(host) -> str:
    return host.ansible("setup", "filter=ansible_default_ipv4")["ansible_facts"]["ansible_default_ipv4"]["address"]


def _probe(app, **extra) -> dict:
    script = shlex.quote(PROBE)
    out = app.check_output(f"/srv/{SERVICE}/current/venv/bin/python -c {script} {ENV_FILE} {shlex.quote(json.dumps(extra))}")
    return json.loads(out)


@pytest.mark.parametrize("name", APP_HOSTS)
def test_app_urls_verify_the_server_against_the_shipped_ca(molecule_host, name):
    env = molecule_host(name).check_output(f"grep -E '^DATABASE_URL=' {ENV_FILE}")
    assert "sslmode=verify-full" in env and f"sslrootcert={APP_CA}" in env, "runtime URL does not verify the server"
    assert "sslmode=require" not in env


def test_migrate_url_verifies_the_server_too():
    # The owner's URL only exists during a migration; its template is the stack's group_vars.
    import yaml
    from chaos_helpers import REPO
    role_app = yaml.safe_load((REPO / "group_vars" / "role_app.yml").read_text())
    assert "flaskstack_db_tls_params" in role_app["flask_app_migrate_database_url"]
    assert role_app["flaskstack_db_tls_params"].startswith("sslmode=verify-full&sslrootcert=")


@pytest.mark.parametrize("name", APP_HOSTS)
def test_app_hosts_hold_db1s_ca_certificate_and_no_key(molecule_host, name):
    app, db1 = molecule_host(name), molecule_host("db1")
    ca = app.file(APP_CA)
    assert (ca.user, ca.group, ca.mode) == ("root", "root", 0o644)
    assert ca.content_string == db1.file(DB_CA).content_string
    assert "PRIVATE KEY" not in ca.content_string
    key = db1.file("/etc/ssl/flaskstack-postgresql-ca/ca.key")
    assert (key.user, key.mode) == ("root", 0o600)
    assert app.run("grep -rl 'PRIVATE KEY' /etc/ssl/flaskstack-postgresql-ca /etc/" + SERVICE).stdout == ""


def test_app_connects_with_verify_full_and_reports_the_database_ok(molecule_host):
    status, body, _ = api("GET", "/healthz")
    assert status == 200 and body["db"] == "ok"
    result = _probe(molecule_host("app1"))
    print(f"app's libpq {result['libpq']}: {result}")
    assert result.get("error") is None and result["ssl"] is True
    # libpq 14+ matches IP-address SANs; the app connects by db1's private address.
    assert result["libpq"] >= 140000


def test_app_libpq_refuses_a_host_name_not_in_the_certificate(molecule_host):
    db_ip = _address(molecule_host("db1"))
    result = _probe(molecule_host("app1"), host="impostor-db.flaskstack.test", hostaddr=db_ip)
    assert "does not match host name" in result.get("error", ""), result


def test_the_apps_live_db_sessions_are_encrypted(molecule_host):
    assert api("GET", "/healthz")[0] == 200  # the app holds pooled sessions now
    rows = molecule_host("db1").check_output(
        "runuser -u postgres -- psql -XAtc \"SELECT count(*), coalesce(bool_and(s.ssl), false) FROM pg_stat_activity a "
        f"JOIN pg_stat_ssl s USING (pid) WHERE a.usename = '{SERVICE}_app'\"")
    count, all_ssl = rows.split("|")
    assert int(count) > 0 and all_ssl == "t", rows
