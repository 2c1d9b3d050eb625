"""The present/absent filters that split the roles' declared lists (users, databases, snippets, entries)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from plugins import load

state = load("filter/state")

USERS = [
    {"name": "app", "password": "s3cret-app"},
    {"name": "old", "state": "absent"},
    {"name": "ro", "password": "s3cret-ro", "state": "present"},
    {"name": "gone", "state": "absent"},
    {"name": "legacy", "password": "x", "state": None},
]


def names(items) -> list[str]:
    return [i["name"] for i in items]


def test_present_keeps_items_without_a_state_and_those_marked_present_in_order():
    assert names(state.present(USERS)) == ["app", "ro", "legacy"]


def test_absent_keeps_only_those_marked_absent():
    assert names(state.absent(USERS)) == ["old", "gone"]


def test_every_item_lands_in_exactly_one_list():
    assert sorted(names(state.present(USERS) + state.absent(USERS))) == sorted(names(USERS))


def test_items_are_returned_unchanged():
    assert state.present(USERS)[0] is USERS[0]


def test_default_state_and_key_can_be_changed():
    items = [{"name": "a"}, {"name": "b", "ensure": "present"}]
    assert names(state.absent(items, default="absent", key="ensure")) == ["a"]


def test_empty_and_missing_lists_give_empty_lists():
    assert state.present([]) == [] and state.absent(None) == []


def test_an_unknown_state_fails_naming_the_item_but_not_its_secrets():
    with pytest.raises(AnsibleFilterError) as err:
        state.present([{"name": "typo", "password": "s3cret", "state": "presnet"}])
    assert "'presnet' of 'typo'" in str(err.value) and "s3cret" not in str(err.value)


def test_a_list_of_non_dicts_fails():
    with pytest.raises(AnsibleFilterError):
        state.present(["app"])
    with pytest.raises(AnsibleFilterError):
        state.present("app")


def test_the_filters_are_registered_as_present_and_absent():
    assert set(state.FilterModule().filters()) == {"present", "absent"}

