"""The runtime role's timeouts: a slow query or a forgotten transaction cannot hold a pooled connection.

converge.yml sets postgres_runtime_statement_timeout 5 and
postgres_runtime_idle_in_transaction_session_timeout 5 so the behaviour is quick to see;
the owner role (migrations) keeps no limit.
"""

from __future__ import annotations

import shlex

from conftest import PORT, RUNTIME, private_address


def test_the_runtime_role_has_both_timeouts(as_runtime):
    result = as_runtime("SHOW statement_timeout; SHOW idle_in_transaction_session_timeout")
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["5s", "5s"]


def test_the_owner_role_has_no_statement_timeout(as_owner):
    result = as_owner("SHOW statement_timeout")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_a_query_longer_than_the_statement_timeout_is_cancelled(as_runtime):
    result = as_runtime("SELECT pg_sleep(7)")
    assert result.rc != 0
    assert "canceling statement due to statement timeout" in result.stderr, result.stderr


def test_a_transaction_left_idle_is_ended(host):
    name, password = RUNTIME
    conninfo = f"host={private_address(host)} port={PORT} dbname=bookshelf user={name} sslmode=require"
    # psql runs `\! sleep 7` only after SELECT 1 has answered, so the session idles in the
    # transaction for 7 s however long the connection took to open (a sleep beside psql
    # would start with it: under load the TLS login alone can eat the 2 s of slack).
    script = "BEGIN; SELECT 1;\n\\! sleep 7\nSELECT 2;\n"
    result = host.run(f"printf %s {shlex.quote(script)} | "
                      f"PGPASSWORD={shlex.quote(password)} psql -X -At -v ON_ERROR_STOP=1 {shlex.quote(conninfo)}")
    # Without the timeout the second query would answer 2; with it the server ended the session.
    assert result.rc != 0 and "2" not in result.stdout.split(), result.stdout
    assert "idle-in-transaction timeout" in result.stderr or "closed the connection" in result.stderr, result.stderr
