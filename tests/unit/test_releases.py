"""flaskstack.deploy.releases on a real deploy root: order, current/previous, incomplete installs, pruning."""

from __future__ import annotations

import json
import os

import pytest

from plugins import load, run_module

releases = load("modules/releases")


def install(root, name: str, deployed_at: str | None, **extra) -> None:
    """A release directory; deployed_at None = an install that never wrote its metadata."""
    directory = root / "releases" / name
    directory.mkdir(parents=True)
    if deployed_at is not None:
        (directory / "metadata.json").write_text(json.dumps({"release": name, "deployed_at": deployed_at, **extra}))


def link(root, name: str, release: str) -> None:
    os.symlink(str(root / "releases" / release), str(root / name))


@pytest.fixture
def root(tmp_path):
    # Content-hash ids: their names say nothing about their age.
    install(tmp_path, "f00d", "2026-11-20T10:00:00.000000Z")
    install(tmp_path, "0bad", "2026-11-21T10:00:00.000000Z")
    install(tmp_path, "9abc", "2026-11-19T10:00:00.000000Z")
    install(tmp_path, "half", None)
    link(tmp_path, "current", "0bad")
    link(tmp_path, "previous", "f00d")
    return tmp_path


def names(listing: dict) -> list[str]:
    return [r["release"] for r in listing["releases"]]


def test_releases_are_ordered_by_recorded_deploy_time_not_by_name(root):
    assert names(releases.list_releases(str(root))) == ["half", "9abc", "f00d", "0bad"]


def test_file_times_do_not_change_the_order(root):
    # A copy or restore touches mtimes; the order must not follow them (ansistrano's bug).
    os.utime(root / "releases" / "0bad", (0, 0))
    os.utime(root / "releases" / "9abc", (2_000_000_000, 2_000_000_000))
    assert names(releases.list_releases(str(root))) == ["half", "9abc", "f00d", "0bad"]


def test_same_deploy_time_is_ordered_by_name(tmp_path):
    for name in ("b", "a", "c"):
        install(tmp_path, name, "2026-11-21T10:00:00.000000Z")
    assert names(releases.list_releases(str(tmp_path))) == ["a", "b", "c"]


def test_an_install_without_metadata_is_incomplete(root):
    half = releases.list_releases(str(root))["releases"][0]
    assert half == {"release": "half", "deployed_at": "", "complete": False}


def test_metadata_is_passed_through_and_marked_complete(tmp_path):
    install(tmp_path, "r1", "2026-11-21T10:00:00.000000Z", deployed_by="alice", package="bookshelf")
    (r1,) = releases.list_releases(str(tmp_path))["releases"]
    assert r1 == {"release": "r1", "deployed_at": "2026-11-21T10:00:00.000000Z", "deployed_by": "alice",
                  "package": "bookshelf", "complete": True}


def test_unparseable_metadata_is_an_incomplete_install(tmp_path):
    install(tmp_path, "r1", None)
    (tmp_path / "releases" / "r1" / "metadata.json").write_text("{truncated")
    assert releases.list_releases(str(tmp_path))["releases"][0]["complete"] is False


def test_current_and_previous_come_from_the_symlinks(root):
    listing = releases.list_releases(str(root))
    assert (listing["current"], listing["previous"]) == ("0bad", "f00d")


def test_a_fresh_root_has_nothing(tmp_path):
    assert releases.list_releases(str(tmp_path)) == {"releases": [], "current": "", "previous": ""}


def test_a_plain_directory_named_current_is_not_a_release_pointer(tmp_path):
    (tmp_path / "current").mkdir()
    assert releases.list_releases(str(tmp_path))["current"] == ""


# --- pruning ----------------------------------------------------------------------------------------

def listing_of(*spec: str) -> list[dict]:
    return [{"release": name} for name in spec]


def test_prune_removes_the_oldest_beyond_keep():
    assert releases.prunable(listing_of("r1", "r2", "r3", "r4", "r5"), 3, set()) == ["r1", "r2"]


def test_prune_never_removes_current_or_previous_even_when_oldest():
    # After rolling back to an old release, current and previous are the two oldest.
    assert releases.prunable(listing_of("r1", "r2", "r3", "r4", "r5"), 3, {"r1", "r2"}) == ["r3", "r4"]


def test_protected_releases_count_towards_keep():
    assert releases.prunable(listing_of("r1", "r2", "r3"), 2, {"r3", "r2", "r1"}) == []
    assert releases.prunable(listing_of("r1", "r2", "r3"), 2, {"r1"}) == ["r2"]


def test_nothing_to_prune_within_keep_or_without_keep():
    assert releases.prunable(listing_of("r1", "r2"), 5, set()) == []
    assert releases.prunable(listing_of("r1", "r2"), None, set()) == []


def test_keep_zero_keeps_only_the_protected():
    assert releases.prunable(listing_of("r1", "r2", "r3"), 0, {"r3"}) == ["r1", "r2"]


def test_module_lists_and_prunes_the_oldest_unprotected(root, capsys):
    for name, when in (("aaaa", "2026-11-18T10:00:00.000000Z"), ("new1", "2026-11-22T10:00:00.000000Z")):
        install(root, name, when)
    result = run_module(releases, {"root": str(root), "keep": 3, "protect": ["new1"]}, capsys)
    assert result["changed"] is False
    assert names(result) == ["half", "aaaa", "9abc", "f00d", "0bad", "new1"]
    # 6 releases, keep 3: the 3 oldest that are not current (0bad), previous (f00d) or being installed (new1).
    assert result["prune"] == ["half", "aaaa", "9abc"]


def test_module_runs_in_check_mode(root, capsys):
    result = run_module(releases, {"root": str(root)}, capsys, check_mode=True)
    assert not result.get("failed") and result["current"] == "0bad" and result["prune"] == []
