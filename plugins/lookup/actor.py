# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""Who runs this play: the one actor lookup the deploy lock and the release ledger share."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: actor
short_description: The person (or system) running this play on the controller
version_added: 0.1.0
description:
  - Returns, as a one-element list, the first non-empty of the controller's C(SUDO_USER), C(USER) and C(LOGNAME)
    environment variables, else the name of the controller process's user (what C(id -un) prints),
    else its numeric uid.
  - C(SUDO_USER) comes first so that C(sudo ansible-playbook ...) names the person, not root.
  - The deploy lock's holder and the release ledger's C(actor) both use it, so they always agree.
author:
  - flaskstack maintainers
"""

EXAMPLES = r"""
- name: Say who deploys
  ansible.builtin.debug:
    msg: "{{ lookup('flaskstack.deploy.actor') }}"
"""

RETURN = r"""
_raw:
  description: One element, the actor's name.
  type: list
  elements: str
"""

import os
import pwd
from collections.abc import Mapping

from ansible.plugins.lookup import LookupBase

VARIABLES = ("SUDO_USER", "USER", "LOGNAME")


def actor(environ: Mapping[str, str] | None = None, uid: int | None = None) -> str:
    """First non-empty of SUDO_USER, USER, LOGNAME; else the uid's user name; else the uid."""
    environ = os.environ if environ is None else environ
    for name in VARIABLES:
        value = (environ.get(name) or "").strip()
        if value:
            return value
    uid = os.getuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [actor()]
