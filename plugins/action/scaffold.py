# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""Action plugin of flaskstack.deploy.scaffold: render a set of templates into a new directory.

Runs in the controller's Ansible process and writes on the controller (the
scaffold, playbooks/init.yml, is a localhost play): one task instead of one
template module run per file, and all-or-nothing - when any file exists and
force is off, nothing is written and the result names every clash.
"""

from __future__ import annotations

import os
import tempfile

from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

ARGS = {
    "dest": {"type": "path", "required": True},
    "template_dir": {"type": "path", "required": True},
    "files": {"type": "list", "elements": "dict", "required": True},
    "force": {"type": "bool", "default": False},
    "mode": {"type": "raw", "default": "0644"},
}


def clashes(dest: str, files: list[dict]) -> list[str]:
    """The files of `files` (dest relative to `dest`) that exist already."""
    return [f["dest"] for f in files if os.path.lexists(os.path.join(dest, f["dest"]))]


def write_atomically(path: str, content: str, mode: int) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".scaffold-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGS)
        dest, files = args["dest"], args["files"]
        mode = int(str(args["mode"]), 8)
        for entry in files:
            if not isinstance(entry.get("dest"), str) or not isinstance(entry.get("src"), str):
                result.update(failed=True, msg=f"each of files needs dest and src, got {entry!r}")
                return result
            if os.path.isabs(entry["dest"]) or ".." in entry["dest"].split("/"):
                result.update(failed=True, msg=f"files: dest {entry['dest']!r} must stay inside {dest}")
                return result
        existing = clashes(dest, files)
        if existing and not args["force"]:
            result.update(failed=True, clashes=existing,
                          msg=f"{dest} already has {', '.join(existing)}: nothing was written. Move them away, "
                              "pick another directory, or overwrite them with force (-e force=true).")
            return result
        lookup = lookup_loader.get("ansible.builtin.template", loader=self._loader, templar=self._templar)
        written, unchanged = [], []
        for entry in files:
            source = os.path.join(args["template_dir"], entry["src"])
            content = lookup.run([source], task_vars, template_vars=entry.get("vars") or {})[0]
            path = os.path.join(dest, entry["dest"])
            try:
                with open(path, encoding="utf-8") as handle:
                    same = handle.read() == content
            except OSError:
                same = False
            if same:
                unchanged.append(entry["dest"])
                continue
            if not self._task.check_mode:
                write_atomically(path, content, mode)
            written.append(entry["dest"])
        result.update(changed=bool(written), written=written, unchanged=unchanged, clashes=existing, dest=dest)
        return result
