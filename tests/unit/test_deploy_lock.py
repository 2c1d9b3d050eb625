"""flaskstack.deploy.deploy_lock on a real filesystem: take, refuse, heartbeat, release, break, check mode.

Times are passed as `now` so that a lock can be hours old without waiting; the files,
modes, renames and flocks are the real ones.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import stat

import pytest

from plugins import load, run_module

lock = load("modules/deploy_lock")

T0 = 1_800_000_000.0  # an arbitrary "now" for the first holder
TTL = 3600
ALICE = {"actor": "alice", "controller": "laptop", "pid": 4242, "purpose": "deploy.yml 2026-11-21.1",
         "environment": "production"}
BOB = {"actor": "bob", "controller": "ci", "pid": 77, "purpose": "deploy.yml 2026-11-21.2", "environment": "production"}


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "flaskstack" / "deploy.lock")


def content(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def broken_copies(path: str) -> list[str]:
    directory, name = os.path.split(path)
    return sorted(f for f in os.listdir(directory) if f.startswith(name + ".broken-"))


# --- take / refuse ---------------------------------------------------------------------------------

def test_take_creates_the_lock_naming_its_holder(path):
    result = lock.take(path, ALICE, now=T0)
    assert result["acquired"] and result["changed"] and result["broken"] is None
    held = content(path)
    assert {k: held[k] for k in ALICE} == ALICE
    assert held["token"] == result["token"] and len(result["token"]) >= 32
    assert held["started_epoch"] == held["heartbeat_epoch"] == int(T0)
    assert held["started_at"] == "2027-01-15T08:00:00Z"
    assert result["holder"]["age_s"] == 0 and "token" not in result["holder"]


def test_lock_file_and_directory_are_private(path):
    lock.take(path, ALICE, now=T0)
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o027 == 0  # 0640 at most
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) & 0o027 == 0  # 0750 at most


def test_second_take_is_refused_and_names_the_holder(path):
    first = lock.take(path, ALICE, now=T0)
    with pytest.raises(lock.LockError) as refused:
        lock.take(path, BOB, now=T0 + 37)
    msg = refused.value.msg
    assert msg.startswith("Deploy lock for environment production is held by alice@laptop (pid 4242, deploy.yml 2026-11-21.1)")
    assert "started 2027-01-15T08:00:00Z, 37s ago, last heartbeat 37s ago" in msg
    assert refused.value.result["acquired"] is False
    assert refused.value.result["holder"]["actor"] == "alice"
    # The refused run never learns the holder's token, and the lock is untouched.
    assert "token" not in refused.value.result["holder"] and first["token"] not in msg
    assert content(path)["token"] == first["token"]
    assert broken_copies(path) == []


def test_refusal_quotes_the_break_hint(path):
    lock.take(path, ALICE, now=T0)
    with pytest.raises(lock.LockError) as refused:
        lock.take(path, BOB, now=T0 + 5, break_hint="-e deploy_break_lock=true")
    assert "or now with -e deploy_break_lock=true." in refused.value.msg
    assert f"older than ttl={TTL}s (in {TTL - 5}s)" in refused.value.msg


def test_only_one_of_many_concurrent_takes_wins(path):
    os.makedirs(os.path.dirname(path))
    with multiprocessing.get_context("fork").Pool(8) as pool:
        outcomes = pool.map(_contend, [(path, n) for n in range(16)])
    assert outcomes.count(True) == 1, outcomes
    assert content(path)["actor"] == f"racer-{outcomes.index(True)}"


def _contend(job) -> bool:
    path, n = job
    try:
        lock.take(path, dict(ALICE, actor=f"racer-{n}"))
        return True
    except lock.LockError:
        return False


# --- finding 10: only a stale heartbeat makes a lock breakable --------------------------------------

def test_live_lock_older_than_the_ttl_is_not_broken(path):
    """A deploy that has run for two hours but sent a heartbeat 10 s ago keeps its lock."""
    first = lock.take(path, ALICE, now=T0)
    lock.heartbeat(path, first["token"], now=T0 + 2 * TTL - 10)
    with pytest.raises(lock.LockError) as refused:
        lock.take(path, BOB, ttl=TTL, now=T0 + 2 * TTL)
    assert "7200s ago, last heartbeat 10s ago" in refused.value.msg
    assert content(path)["token"] == first["token"] and broken_copies(path) == []


def test_lock_whose_heartbeat_is_stale_is_broken_and_kept_aside(path):
    first = lock.take(path, ALICE, now=T0)
    lock.heartbeat(path, first["token"], now=T0 + 600)
    now = T0 + 600 + TTL + 1
    result = lock.take(path, BOB, ttl=TTL, now=now)
    assert result["acquired"] and result["broken"]["actor"] == "alice"
    assert result["broken"]["heartbeat_age_s"] == TTL + 1 and result["broken"]["age_s"] == 600 + TTL + 1
    assert result["broken_path"] == f"{path}.broken-{int(now)}"
    assert content(result["broken_path"])["token"] == first["token"]
    assert content(path)["actor"] == "bob" and content(path)["token"] == result["token"]


def test_heartbeat_at_exactly_the_ttl_still_protects(path):
    lock.take(path, ALICE, now=T0)
    with pytest.raises(lock.LockError):
        lock.take(path, BOB, ttl=TTL, now=T0 + TTL)


def test_unreadable_lock_is_judged_by_its_file_time(path):
    os.makedirs(os.path.dirname(path))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("{not json")
    os.utime(path, (T0, T0))
    with pytest.raises(lock.LockError) as refused:
        lock.take(path, BOB, now=T0 + 60)
    assert "unreadable lock file" in refused.value.msg
    result = lock.take(path, BOB, now=T0 + TTL + 60)
    assert result["acquired"] and result["broken"]["purpose"] == "unreadable lock file"


# --- explicit break ------------------------------------------------------------------------------

def test_force_breaks_a_live_lock_and_keeps_it_aside(path):
    first = lock.take(path, ALICE, now=T0)
    result = lock.take(path, BOB, force=True, now=T0 + 5)
    assert result["acquired"] and result["broken"]["actor"] == "alice" and result["broken"]["heartbeat_age_s"] == 5
    assert content(result["broken_path"])["token"] == first["token"]
    assert content(path)["actor"] == "bob"


def test_state_break_moves_the_lock_aside_without_taking_it(path):
    lock.take(path, ALICE, now=T0)
    result = lock.break_lock(path, now=T0 + 5)
    assert result["changed"] and result["broken"]["actor"] == "alice"
    assert not os.path.exists(path) and broken_copies(path) == [os.path.basename(result["broken_path"])]
    assert lock.break_lock(path, now=T0 + 6) == {"lock_file": path, "changed": False, "broken": None}


def test_two_breaks_in_one_second_keep_both_copies(path):
    lock.take(path, ALICE, now=T0)
    lock.take(path, BOB, force=True, now=T0 + 5)
    lock.take(path, ALICE, force=True, now=T0 + 5)
    assert len(broken_copies(path)) == 2


def test_the_holder_that_lost_its_lock_stops_at_its_next_heartbeat(path):
    first = lock.take(path, ALICE, now=T0)
    lock.take(path, BOB, force=True, now=T0 + 5)
    with pytest.raises(lock.LockError) as lost:
        lock.heartbeat(path, first["token"], now=T0 + 10)
    assert lost.value.msg.startswith("Lost the deploy lock:") and "bob@ci" in lost.value.msg
    assert content(path)["actor"] == "bob"


# --- heartbeat and release only by the holder's token ------------------------------------------------

def test_heartbeat_refreshes_only_the_heartbeat(path):
    first = lock.take(path, ALICE, now=T0)
    result = lock.heartbeat(path, first["token"], now=T0 + 900)
    held = content(path)
    assert held["started_epoch"] == int(T0) and held["heartbeat_epoch"] == int(T0 + 900)
    assert held["token"] == first["token"] and held["actor"] == "alice"
    assert result["age_s"] == 900 and result["heartbeat_age_s"] == 0 and result["changed"]
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o027 == 0
    assert os.listdir(os.path.dirname(path)) == ["deploy.lock"]  # no temporary file left


def test_heartbeat_with_another_token_fails_and_changes_nothing(path):
    lock.take(path, ALICE, now=T0)
    before = content(path)
    with pytest.raises(lock.LockError):
        lock.heartbeat(path, "not-the-token", now=T0 + 900)
    assert content(path) == before


def test_heartbeat_without_a_lock_fails(path):
    with pytest.raises(lock.LockError, match="is gone"):
        lock.heartbeat(path, "whatever", now=T0)


def test_release_with_another_token_leaves_the_lock(path):
    lock.take(path, ALICE, now=T0)
    result = lock.release(path, "not-the-token", now=T0 + 1)
    assert result["released"] is False and result["changed"] is False
    assert "held by another run, alice@laptop (pid 4242, deploy.yml 2026-11-21.1)" in result["warning"]
    assert content(path)["actor"] == "alice"


def test_release_by_the_holder_removes_the_lock(path):
    first = lock.take(path, ALICE, now=T0)
    assert lock.release(path, first["token"], now=T0 + 1)["released"] is True
    assert not os.path.exists(path)
    assert lock.release(path, first["token"], now=T0 + 2) == {"lock_file": path, "changed": False, "released": False}


# --- check mode -------------------------------------------------------------------------------------

def test_check_mode_take_creates_nothing(path):
    result = lock.take(path, ALICE, check_mode=True, now=T0)
    assert result["acquired"] and result["changed"]
    assert not os.path.exists(os.path.dirname(path))


def test_check_mode_still_refuses_a_live_lock(path):
    lock.take(path, ALICE, now=T0)
    with pytest.raises(lock.LockError):
        lock.take(path, BOB, check_mode=True, now=T0 + 1)


def test_check_mode_reports_a_break_without_moving_anything(path):
    first = lock.take(path, ALICE, now=T0)
    result = lock.take(path, BOB, check_mode=True, now=T0 + TTL + 1)
    assert result["broken"]["actor"] == "alice" and "broken_path" not in result
    assert content(path)["token"] == first["token"] and broken_copies(path) == []
    assert lock.break_lock(path, check_mode=True, now=T0 + 1)["changed"] and os.path.exists(path)


def test_check_mode_heartbeat_and_release_write_nothing(path):
    first = lock.take(path, ALICE, now=T0)
    before = content(path)
    assert lock.heartbeat(path, first["token"], check_mode=True, now=T0 + 60)["changed"]
    assert lock.release(path, first["token"], check_mode=True, now=T0 + 60)["released"]
    assert content(path) == before


# --- the module as Ansible runs it ------------------------------------------------------------------

def test_module_takes_refuses_and_releases(path, capsys):
    taken = run_module(lock, {"path": path, "holder": {"actor": "alice", "environment": "lab"}}, capsys)
    assert taken["changed"] and taken["acquired"] and taken["lock_file"] == path
    refused = run_module(lock, {"path": path, "holder": {"actor": "bob", "environment": "lab"}}, capsys)
    assert refused["failed"] and refused["msg"].startswith("Deploy lock for environment lab is held by alice@?")
    beat = run_module(lock, {"path": path, "state": "heartbeat", "token": taken["token"]}, capsys)
    assert beat["changed"] and not beat.get("failed")
    released = run_module(lock, {"path": path, "state": "release", "token": taken["token"]}, capsys)
    assert released["released"] and not os.path.exists(path)


def test_module_breaks_a_lock_with_force(path, capsys):
    run_module(lock, {"path": path, "holder": {"actor": "alice"}}, capsys)
    forced = run_module(lock, {"path": path, "holder": {"actor": "bob"}, "force": True}, capsys)
    assert forced["acquired"] and forced["broken"]["actor"] == "alice"
    assert forced["broken_path"].startswith(path + ".broken-")


def test_the_break_warning_names_the_holder_and_the_reason(path):
    lock.take(path, ALICE, now=T0)
    broken = lock.take(path, BOB, force=True, now=T0 + 5)["broken"]
    assert lock.broken_warning(broken, "force=true", path) == (
        "Broke the deploy lock of alice@laptop (pid 4242, deploy.yml 2026-11-21.1), held for 5s, "
        f"last heartbeat 5s ago (force=true); it is kept as {path}.broken-*. Check that run really died.")


def test_module_check_mode_writes_nothing(path, capsys):
    result = run_module(lock, {"path": path, "holder": {"actor": "alice"}}, capsys, check_mode=True)
    assert result["changed"] and result["acquired"] and not os.path.exists(path)


def test_module_needs_a_token_to_heartbeat_or_release(path, capsys):
    for state in ("heartbeat", "release"):
        result = run_module(lock, {"path": path, "state": state}, capsys)
        assert result["failed"] and "token" in result["msg"]
