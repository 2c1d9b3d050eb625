"""Least privilege: the owner migrates, the runtime role only reads and writes rows."""

import uuid

import pytest

from conftest import RUNTIME, psql_tcp


def _table() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def owner_table(as_owner):
    """A table the owner creates *after* converge (so only default privileges can cover it)."""
    name = _table()
    result = as_owner(f"CREATE TABLE {name} (id serial PRIMARY KEY, title text NOT NULL);"
                      f"INSERT INTO {name} (title) VALUES ('seed')")
    assert result.rc == 0, result.stderr
    yield name
    as_owner(f"DROP TABLE IF EXISTS {name}")


def test_owner_can_run_ddl(as_owner):
    name = _table()
    result = as_owner(f"CREATE TABLE {name} (id int); ALTER TABLE {name} ADD COLUMN note text; "
                      f"CREATE INDEX ON {name} (note); DROP TABLE {name}")
    assert result.rc == 0, result.stderr


def test_runtime_reads_and_writes_a_table_created_later_by_the_owner(as_runtime, owner_table):
    result = as_runtime(f"INSERT INTO {owner_table} (title) VALUES ('new');"
                        f"UPDATE {owner_table} SET title = 'changed' WHERE title = 'new';"
                        f"DELETE FROM {owner_table} WHERE title = 'seed';"
                        f"SELECT title FROM {owner_table}")
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["changed"]


def test_runtime_uses_the_owner_sequences(as_runtime, owner_table):
    result = as_runtime(f"SELECT nextval(pg_get_serial_sequence('{owner_table}', 'id'))")
    assert result.rc == 0, result.stderr


def test_runtime_covers_tables_that_existed_at_converge(host, admin, as_owner, as_runtime):
    # Grants on existing tables come from the role's ALL_IN_SCHEMA grant: create a table
    # without default privileges (as postgres, then hand it to the owner) and re-run the grant.
    name = _table()
    admin(f"CREATE TABLE {name} (id int); ALTER TABLE {name} OWNER TO bookshelf_owner;"
          f"REVOKE ALL ON {name} FROM bookshelf_app", dbname="bookshelf")
    try:
        assert as_runtime(f"SELECT * FROM {name}").rc != 0
        admin(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO bookshelf_app",
              dbname="bookshelf")
        result = as_runtime(f"INSERT INTO {name} VALUES (1); SELECT count(*) FROM {name}")
        assert result.rc == 0, result.stderr
    finally:
        as_owner(f"DROP TABLE IF EXISTS {name}")


@pytest.mark.parametrize("statement", [
    "CREATE TABLE intruder (id int)",
    "CREATE TEMP TABLE intruder (id int)",
    "CREATE SCHEMA intruder",
    "CREATE VIEW intruder AS SELECT 1",
    "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
], ids=["table", "temp-table", "schema", "view", "function"])
def test_runtime_cannot_create_anything(as_runtime, statement):
    result = as_runtime(statement)
    assert result.rc != 0
    assert "permission denied" in result.stderr, result.stderr


def test_runtime_cannot_drop_or_alter_the_owner_tables(as_runtime, owner_table):
    result = as_runtime(f"DROP TABLE {owner_table}")
    assert result.rc != 0 and "must be owner" in result.stderr, result.stderr


def test_runtime_cannot_connect_to_the_postgres_database(host):
    result = psql_tcp(host, "SELECT 1", RUNTIME, dbname="postgres")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr or "rejects connection" in result.stderr, result.stderr


def test_app_roles_have_no_admin_attributes_and_a_connection_limit(admin):
    rows = admin("SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit "
                 "FROM pg_roles WHERE rolname IN ('bookshelf_owner', 'bookshelf_app') ORDER BY rolname").splitlines()
    assert len(rows) == 2
    for row in rows:
        name, *flags, limit = row.split("|")
        assert flags == ["f"] * 5, row
        assert int(limit) > 0, row


def test_runtime_role_does_not_own_the_database_or_its_schema(admin):
    assert admin("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'bookshelf'") == "bookshelf_owner"
    assert admin("SELECT has_schema_privilege('bookshelf_app', 'public', 'CREATE')", dbname="bookshelf") == "f"


def test_public_cannot_connect_to_the_app_or_postgres_database(admin):
    for db in ("bookshelf", "postgres"):
        assert admin(f"SELECT has_database_privilege('public', '{db}', 'CONNECT')") == "f"
