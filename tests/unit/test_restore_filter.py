"""The filters restore.yml decides with: database names, the verdict on a candidate, the report."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from plugins import load

restore = load("filter/restore")

STAMP = "20261201_223000"
LIVE = {"alembic_version": "1", "books": "9037", "users": "372", "health_probes": "0"}


def check_lines(**overrides) -> list[str]:
    """The check query's output for a good candidate holding LIVE's tables, with overrides per line key."""
    lines = {"database|bookshelf_restore": "database|bookshelf_restore|t|"}
    for table, rows in LIVE.items():
        lines[f"table|{table}"] = f"table|{table}|t|"
        lines[f"rows|{table}"] = f"rows|{table}|t|{rows}"
    lines["sequence|books_id_seq"] = "sequence|books_id_seq|t|"
    lines.update(overrides)
    return [line for line in lines.values() if line is not None]


def test_names_put_the_stamp_after_a_purpose_suffix():
    assert restore.restore_names("bookshelf", STAMP) == {
        "live": "bookshelf",
        "candidate": "bookshelf_restore_20261201_223000",
        "before": "bookshelf_before_restore_20261201_223000",
        "failed": "bookshelf_failed_restore_20261201_223000",
    }


def test_names_refuse_a_database_whose_kept_copy_would_be_truncated_by_postgresql():
    with pytest.raises(AnsibleFilterError, match="too long.*up to 32 characters"):
        restore.restore_names("b" * 33, STAMP)
    assert len(restore.restore_names("b" * 32, STAMP)["before"]) == 63


@pytest.mark.parametrize("name", ["Bookshelf", "book-shelf", "1books", "", None])
def test_names_refuse_what_is_not_a_plain_identifier(name):
    with pytest.raises(AnsibleFilterError, match="identifier"):
        restore.restore_names(name, STAMP)


def test_names_refuse_a_stamp_of_another_shape():
    with pytest.raises(AnsibleFilterError, match="YYYYmmdd_HHMMSS"):
        restore.restore_names("bookshelf", "2026-12-01T22:30:00Z")


def test_a_candidate_with_the_live_tables_and_the_runtime_privileges_is_ok():
    verdict = restore.restore_verdict(check_lines(), LIVE, "abc", "abc")
    assert verdict == {"ok": True, "problems": [], "counts": {t: int(n) for t, n in LIVE.items()}}


def test_fewer_rows_than_live_is_not_a_problem_going_back_in_time_is_the_point():
    verdict = restore.restore_verdict(check_lines(**{"rows|books": "rows|books|t|12"}), LIVE, "abc", "abc")
    assert verdict["ok"] and verdict["counts"]["books"] == 12


def test_a_table_the_runtime_role_cannot_write_is_a_problem_named_by_table():
    verdict = restore.restore_verdict(check_lines(**{"table|books": "table|books|f|"}), LIVE, "abc", "abc")
    assert not verdict["ok"]
    assert verdict["problems"] == ["the runtime role lacks SELECT/INSERT/UPDATE/DELETE on books"]


def test_a_sequence_without_usage_is_a_problem():
    verdict = restore.restore_verdict(check_lines(**{"sequence|books_id_seq": "sequence|books_id_seq|f|"}), LIVE)
    assert "the runtime role lacks USAGE/SELECT on the sequences books_id_seq" in verdict["problems"]


def test_no_connect_privilege_is_a_problem():
    verdict = restore.restore_verdict(check_lines(**{"database|bookshelf_restore": "database|bookshelf_restore|f|"}),
                                      LIVE, "abc", "abc")
    assert verdict["problems"] == ["the runtime role may not connect to the restored database"]


def test_a_table_without_a_row_count_is_a_problem():
    verdict = restore.restore_verdict(check_lines(**{"rows|users": None}), LIVE, "abc", "abc")
    assert verdict["problems"] == ["the runtime role could not count the rows of users"]


def test_a_dump_without_tables_does_not_replace_a_database_that_has_some():
    lines = ["database|bookshelf_restore|t|"]
    verdict = restore.restore_verdict(lines, LIVE, allow_schema_change=True)
    assert not verdict["ok"] and "holds no table" in verdict["problems"][0]


def test_a_live_table_missing_from_the_dump_is_a_problem_unless_a_schema_change_is_allowed():
    lines = check_lines(**{"table|users": None, "rows|users": None})
    assert restore.restore_verdict(lines, LIVE, "abc", "abc")["problems"] == [
        "tables of the live database are missing from the dump: users"]
    assert restore.restore_verdict(lines, LIVE, "abc", "abc", allow_schema_change=True)["ok"]


def test_a_table_dropped_from_the_live_database_is_what_a_restore_brings_back():
    live = {t: n for t, n in LIVE.items() if t != "books"}
    assert restore.restore_verdict(check_lines(), live, "abc", "abc")["ok"]


def test_a_different_schema_version_is_a_problem_unless_allowed():
    verdict = restore.restore_verdict(check_lines(), LIVE, "new", "old")
    assert verdict["problems"] == [
        "the dump's schema version old differs from the live database's new, which the running release expects"]
    assert restore.restore_verdict(check_lines(), LIVE, "new", "old", allow_schema_change=True)["ok"]


def test_an_unexpected_line_fails_loudly_rather_than_passing():
    with pytest.raises(AnsibleFilterError, match="unexpected line"):
        restore.restore_verdict(["ERROR:  permission denied"], LIVE)


def test_report_lists_every_table_of_either_side_with_a_dash_where_absent():
    assert restore.restore_report({"users": 3}, {"books": 5, "users": 3}) == "books - -> 5; users 3 -> 3;"


def test_report_of_nothing_is_empty():
    assert restore.restore_report(None, {}) == ""
