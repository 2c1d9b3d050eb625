#!/usr/bin/python
# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""List the releases under a deploy root and say which of them may be pruned."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: releases
short_description: List the installed releases of an app deploy root, oldest first, and the ones to prune
version_added: 0.1.0
description:
  - Reads C(<root>/releases/*/metadata.json) and the C(current) and C(previous) symlinks. Read-only.
  - A release without a readable C(metadata.json) is an install that never completed
    (C(complete=false), C(deployed_at) empty).
  - Releases are ordered by the C(deployed_at) their metadata records, then by name; never by file times,
    which copies and restores change. A release id may be a content hash, so the name alone does not say which
    release is older; it only breaks ties (and orders the incomplete ones, which have no C(deployed_at) and
    come first).
  - With O(keep), RV(prune) names the oldest releases beyond O(keep) - never C(current), C(previous) or one in O(protect).
options:
  root:
    description: The deploy root holding C(releases/), C(current) and C(previous).
    type: path
    required: true
  keep:
    description: How many releases to keep (the protected ones count among them); unset, RV(prune) is empty.
    type: int
  protect:
    description: Release names never to prune besides C(current) and C(previous) (for example the one being installed).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
author:
  - flaskstack maintainers
"""

EXAMPLES = r"""
- name: List the releases and the ones beyond five
  flaskstack.deploy.releases:
    root: /srv/bookshelf
    keep: 5
    protect: ["2026-11-21.1"]
  register: listing

- name: Remove them
  ansible.builtin.file:
    path: /srv/bookshelf/releases/{{ item }}
    state: absent
  loop: "{{ listing.prune }}"
"""

RETURN = r"""
releases:
  description: Each release's metadata, oldest first, with C(release) (its directory name) and C(complete) added.
  returned: always
  type: list
  elements: dict
  sample:
    - release: 2026-11-20.1
      deployed_at: "2026-11-20T10:00:00.000000Z"
      complete: true
current:
  description: The release C(current) points to; empty when it is not a symlink.
  returned: always
  type: str
previous:
  description: The release C(previous) points to; empty when it is not a symlink.
  returned: always
  type: str
prune:
  description: The releases to remove to keep O(keep), oldest first (empty without O(keep)).
  returned: always
  type: list
  elements: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def read_release(directory: str, name: str) -> dict:
    """One release's metadata; an unreadable or missing metadata.json marks an incomplete install."""
    try:
        with open(os.path.join(directory, name, "metadata.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        if not isinstance(meta, dict):
            raise ValueError("not an object")
    except (OSError, ValueError):
        meta = {"deployed_at": "", "complete": False}
    meta.setdefault("complete", True)
    meta.setdefault("deployed_at", "")
    meta["release"] = name
    return meta


def order(release: dict) -> tuple[str, str]:
    """Oldest first: the recorded deploy time, then the name."""
    return (str(release.get("deployed_at") or ""), release["release"])


def link_target(root: str, link: str) -> str:
    path = os.path.join(root, link)
    return os.path.basename(os.readlink(path).rstrip("/")) if os.path.islink(path) else ""


def list_releases(root: str) -> dict:
    directory = os.path.join(root, "releases")
    names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
    releases = sorted((read_release(directory, name) for name in names), key=order)
    return {"releases": releases, "current": link_target(root, "current"), "previous": link_target(root, "previous")}


def prunable(releases: list[dict], keep: int | None, protected: set[str]) -> list[str]:
    """The oldest releases beyond `keep`, never a protected one (current, previous, the one being installed)."""
    if keep is None:
        return []
    excess = len(releases) - max(0, keep)
    candidates = [r["release"] for r in releases if r["release"] not in protected]
    return candidates[:max(0, excess)]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "required": True},
            "keep": {"type": "int"},
            "protect": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    try:
        listing = list_releases(module.params["root"])
    except OSError as err:
        module.fail_json(msg=f"cannot list the releases under {module.params['root']}: {err}")
    protected = {listing["current"], listing["previous"], *module.params["protect"]} - {""}
    listing["prune"] = prunable(listing["releases"], module.params["keep"], protected)
    module.exit_json(changed=False, **listing)


if __name__ == "__main__":
    main()
