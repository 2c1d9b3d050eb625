# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""Action plugin of flaskstack.deploy.app_build: detect the app's shape and build its wheelhouses.

Runs in the controller's Ansible process (never on a host), so bad input fails
before any host is touched. The logic lives in module_utils (app_shape, wheelhouse)
where the collection's tests exercise it directly.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.flaskstack.deploy.plugins.module_utils.app_shape import ShapeError, detect
from ansible_collections.flaskstack.deploy.plugins.module_utils.wheelhouse import BuildError, build

ARGS = {
    "source": {"type": "str", "required": True},
    "python_versions": {"type": "list", "elements": "str", "required": True},
    "build_dir": {"type": "str", "required": True},
    "pip_python": {"type": "str", "required": True},
    "constraints": {"type": "str", "default": ""},
    "wsgi_app": {"type": "str", "default": ""},
    "cli_app": {"type": "str", "default": ""},
    "migrate_command": {"type": "str", "default": "auto"},
    "package": {"type": "str", "default": ""},
    "release_id": {"type": "str", "default": ""},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGS)
        try:
            shape = detect(args["source"], wsgi_app=args["wsgi_app"], cli_app=args["cli_app"],
                           migrate_command=args["migrate_command"], constraints=args["constraints"])
            built = build(shape, args["build_dir"], args["python_versions"], args["pip_python"],
                          package=args["package"], release_id=args["release_id"])
        except ShapeError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        except BuildError as exc:
            result.update(failed=True, msg=str(exc), **exc.details)
            return result
        result.update(built)
        result["shape"] = shape
        result["summary"] = shape["summary"]
        return result
