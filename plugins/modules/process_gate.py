#!/usr/bin/python
# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""Wait until systemd units are up and stay up (no crash loop) after a restart."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: process_gate
short_description: Wait until systemd services run steadily after a restart, or fail naming the one that does not
version_added: 0.1.0
description:
  - Polls C(systemctl show) for every unit in O(units) until each has been C(active) for O(settle) seconds without an
    automatic restart (C(NRestarts=0)) - the health gate of worker process types, which answer no HTTP.
  - Fails as soon as one unit crash-loops (C(NRestarts>0)) or is C(failed)/C(inactive), or when O(timeout) passes,
    with the unit's last journal lines in the message.
  - Read-only: it never starts or stops anything.
options:
  units:
    description: The service units to watch (for example C(shop-worker@1.service)).
    type: list
    elements: str
    required: true
  settle:
    description: Seconds each unit must run without an automatic restart.
    type: int
    default: 5
  timeout:
    description: Seconds to wait in all before failing.
    type: int
    default: 60
  journal_lines:
    description: Journal lines of each failing unit quoted in the failure message.
    type: int
    default: 15
attributes:
  check_mode:
    support: full
    description: Reports the units' state once, without waiting.
  diff_mode:
    support: none
author: flaskstack maintainers
"""

EXAMPLES = r"""
- name: Workers must stay up for 5 s after the switch
  flaskstack.deploy.process_gate:
    units: [shop-worker@1.service, shop-worker@2.service]
    settle: 5
"""

RETURN = r"""
units:
  description: The last properties read per unit (ActiveState, SubState, NRestarts, MainPID, Result...).
  returned: always
  type: dict
verdict:
  description: V(ok), V(failed) or, in check mode, V(wait).
  returned: always
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flaskstack.deploy.plugins.module_utils.processes import verdict

PROPERTIES = "Id,LoadState,ActiveState,SubState,Result,NRestarts,MainPID,ActiveEnterTimestampMonotonic"


def parse_show(text: str) -> dict[str, dict]:
    """`systemctl show -p ... a b` output (blank-line separated blocks) -> {Id: {property: value}}."""
    states = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("Id"):
            states[props["Id"]] = props
    return states


def read(module: AnsibleModule, units: list[str]) -> dict[str, dict]:
    rc, out, err = module.run_command(["systemctl", "show", "-p", PROPERTIES, "--", *units])
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed: {err.strip()}")
    now_us = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6)
    states = parse_show(out)
    for props in states.values():
        props["now_us"] = now_us
    for unit in units:  # systemctl names a unit it does not know by the name given
        states.setdefault(unit, {"Id": unit, "LoadState": "not-found"})
    return states


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "str", "required": True},
            "settle": {"type": "int", "default": 5},
            "timeout": {"type": "int", "default": 60},
            "journal_lines": {"type": "int", "default": 15},
        },
        supports_check_mode=True,
    )
    units = module.params["units"]
    if not units:
        module.exit_json(changed=False, units={}, verdict="ok")
    deadline = time.monotonic() + module.params["timeout"]
    while True:
        states = read(module, units)
        result, reasons = verdict(states, module.params["settle"])
        if result != "wait" or module.check_mode:
            break
        if time.monotonic() > deadline:
            result = "failed"
            reasons = [f"{unit} did not settle within {module.params['timeout']} s "
                       f"({props.get('ActiveState')}/{props.get('SubState')})"
                       for unit, props in sorted(states.items())]
            break
        time.sleep(1)
    public = {unit: {k: v for k, v in props.items() if k != "now_us"} for unit, props in states.items()}
    if result == "failed":
        logs = []
        for unit in sorted(states):
            if any(reason.startswith(unit + " ") for reason in reasons):
                _, out, _ = module.run_command(["journalctl", "-u", unit, "-n", str(module.params["journal_lines"]),
                                                "--no-pager", "-o", "cat"])
                logs.append(f"{unit}: " + " | ".join(out.strip().splitlines()))
        module.fail_json(msg="; ".join(reasons) + (". Last log lines: " + " || ".join(logs) if logs else ""),
                         units=public, verdict=result)
    module.exit_json(changed=False, units=public, verdict=result)


if __name__ == "__main__":
    main()
