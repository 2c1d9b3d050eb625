# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""What playbooks/restore.yml decides with: the names of the databases of one
in-place restore, the verdict on a restored candidate, and the report line."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_NAME = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names silently
STAMP = re.compile(r"^[0-9]{8}_[0-9]{6}$")
KINDS = ("database", "table", "sequence", "rows")


def restore_names(database: str, stamp: str) -> dict[str, str]:
    """The databases of one in-place restore of `database` at `stamp` (YYYYmmdd_HHMMSS, UTC).

    candidate: where the dump is restored and verified; before: the live database
    after the swap, kept until an operator drops it; failed: the candidate once it
    was swapped in, failed the app's checks and was swapped back out.
    """
    if not isinstance(database, str) or not IDENTIFIER.match(database):
        raise AnsibleFilterError(f"database name {database!r} is not a plain lowercase identifier")
    if not isinstance(stamp, str) or not STAMP.match(stamp):
        raise AnsibleFilterError(f"stamp {stamp!r} is not YYYYmmdd_HHMMSS")
    names = {
        "live": database,
        "candidate": f"{database}_restore_{stamp}",
        "before": f"{database}_before_restore_{stamp}",
        "failed": f"{database}_failed_restore_{stamp}",
    }
    too_long = [n for n in names.values() if len(n) > MAX_NAME]
    if too_long:
        raise AnsibleFilterError(
            f"database name {database!r} is too long for an in-place restore: {too_long[0]!r} exceeds "
            f"{MAX_NAME} characters (names up to {MAX_NAME - len('_before_restore_') - len(stamp)} characters fit); "
            "restore into a scratch database with restore_target instead")
    return names


def _parse(lines) -> list[tuple[str, str, bool, str]]:
    """Rows `kind|name|ok|value` of the candidate check query (psql -At)."""
    rows = []
    for line in lines or []:
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) != 4 or parts[0] not in KINDS or parts[2] not in ("t", "f", ""):
            raise AnsibleFilterError(f"unexpected line from the restore check query: {line!r}")
        rows.append((parts[0], parts[1], parts[2] == "t", parts[3]))
    return rows


def restore_verdict(check_lines, live_counts=None, live_version: str = "", candidate_version: str = "",
                    allow_schema_change: bool = False) -> dict:
    """Judge a restored candidate database before it replaces the live one.

    check_lines: the output of the check query run in the candidate: one
    `database|<db>|<runtime role may connect>|`, one `table|<t>|<runtime has
    SELECT+INSERT+UPDATE+DELETE>|` per table, one `sequence|<s>|<USAGE+SELECT>|`
    per sequence, and one `rows|<t>|t|<count>` per table, counted as the runtime
    role (so the counts are themselves a read with the app's privileges).
    live_counts: {table: rows} of the live database. The versions are the
    schema versions (alembic_version) of both; empty when a side has none.

    Returns {ok, problems: [sentences], counts: {table: rows}}.
    """
    rows = _parse(check_lines)
    live_counts = dict(live_counts or {})
    problems: list[str] = []
    counts = {name: int(value) for kind, name, _, value in rows if kind == "rows"}
    databases = [(name, ok) for kind, name, ok, _ in rows if kind == "database"]
    if not databases or not all(ok for _, ok in databases):
        problems.append("the runtime role may not connect to the restored database")
    denied = sorted(name for kind, name, ok, _ in rows if kind == "table" and not ok)
    if denied:
        problems.append(f"the runtime role lacks SELECT/INSERT/UPDATE/DELETE on {', '.join(denied)}")
    denied = sorted(name for kind, name, ok, _ in rows if kind == "sequence" and not ok)
    if denied:
        problems.append(f"the runtime role lacks USAGE/SELECT on the sequences {', '.join(denied)}")
    tables = sorted(name for kind, name, _, _ in rows if kind == "table")
    uncounted = sorted(set(tables) - set(counts))
    if uncounted:
        problems.append(f"the runtime role could not count the rows of {', '.join(uncounted)}")
    if not tables and live_counts:
        problems.append("the dump holds no table (the live database has "
                        f"{len(live_counts)}): is it a dump of this database?")
    if not allow_schema_change:
        missing = sorted(set(live_counts) - set(tables))
        if missing and tables:
            problems.append(f"tables of the live database are missing from the dump: {', '.join(missing)}")
        if live_version != candidate_version:
            problems.append(f"the dump's schema version {candidate_version or '(none)'} differs from the live "
                            f"database's {live_version or '(none)'}, which the running release expects")
    return {"ok": not problems, "problems": problems, "counts": counts}


def restore_report(before, after) -> str:
    """`table rows_before -> rows_after;` for every table on either side, sorted; `-` where absent."""
    before, after = dict(before or {}), dict(after or {})
    return " ".join(f"{t} {before.get(t, '-')} -> {after.get(t, '-')};" for t in sorted(set(before) | set(after)))


class FilterModule:
    def filters(self):
        return {"restore_names": restore_names, "restore_verdict": restore_verdict, "restore_report": restore_report}
