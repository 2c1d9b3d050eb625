"""Load the collection's plugins straight from the checkout (no collection install needed)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ansible.module_utils.testing import patch_module_args

ROOT = Path(__file__).resolve().parents[2]


def load(relative: str) -> ModuleType:
    """Import plugins/<relative>.py under a private name."""
    name = "flaskstack_plugin_" + relative.replace("/", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "plugins" / f"{relative}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_module(module: ModuleType, args: dict, capsys, check_mode: bool = False) -> dict:
    """Run a module's main() as Ansible would and return its JSON result (failed or not)."""
    args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)
