# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""The app's worker process types as systemd unit instances (logic in module_utils/processes.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.flaskstack.deploy.plugins.module_utils.processes import ProcessError, resolve


def app_processes(detected, declared, app: str, root: str, stop_timeout: int = 30, release: str = "",
                  enabled: bool = True) -> list:
    try:
        return resolve(detected, declared, app, root, int(stop_timeout), release, bool(enabled))
    except ProcessError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"app_processes": app_processes}
