"""One actor lookup for the deploy lock and the release ledger: SUDO_USER, then USER/LOGNAME, then the uid's name."""

from __future__ import annotations

import os
import pwd

from plugins import load

actor = load("lookup/actor")


def test_sudo_user_wins_so_sudo_names_the_person():
    assert actor.actor({"SUDO_USER": "alice", "USER": "root", "LOGNAME": "root"}) == "alice"


def test_user_then_logname():
    assert actor.actor({"USER": "bob", "LOGNAME": "carol"}) == "bob"
    assert actor.actor({"LOGNAME": "carol"}) == "carol"


def test_blank_variables_are_skipped():
    assert actor.actor({"SUDO_USER": " ", "USER": "", "LOGNAME": "carol"}) == "carol"


def test_without_variables_the_process_user_is_named_like_id_un():
    assert actor.actor({}) == pwd.getpwuid(os.getuid()).pw_name


def test_an_unknown_uid_is_given_as_a_number():
    assert actor.actor({}, uid=2_000_000_123) == "2000000123"


def test_the_lookup_returns_one_name(monkeypatch):
    monkeypatch.setenv("SUDO_USER", "dora")
    assert actor.LookupModule().run([]) == ["dora"]
