# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""Split a list of declared things (users, databases, files...) by their `state`."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

STATES = ("present", "absent")


def by_state(items, state: str, default: str = "present", key: str = "state") -> list:
    """The items whose `key` (missing or null: `default`) equals `state`, in their order.

    An item with any other state is an error rather than silently in neither list.
    """
    if state not in STATES:
        raise AnsibleFilterError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    if items is None:
        return []
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise AnsibleFilterError(f"expected a list of dicts, got {type(items).__name__}")
    selected = []
    for item in items:
        if not hasattr(item, "get"):
            raise AnsibleFilterError(f"expected a list of dicts, got an item of type {type(item).__name__}")
        value = item.get(key)
        value = default if value is None else value
        if value not in STATES:
            # Name the item, never print it whole: it may carry a password.
            raise AnsibleFilterError(f"{key}: {value!r} of {item.get('name', '(unnamed item)')!r} is neither present nor absent")
        if value == state:
            selected.append(item)
    return selected


def present(items, default: str = "present", key: str = "state") -> list:
    return by_state(items, "present", default, key)


def absent(items, default: str = "present", key: str = "state") -> list:
    return by_state(items, "absent", default, key)


class FilterModule:
    def filters(self):
        return {"present": present, "absent": absent}
