# Copyright (c) flaskstack maintainers
# MIT License (see galaxy.yml)
"""The stack's wiring, shipped inside the collection, at group_vars precedence minus one."""

from __future__ import annotations

DOCUMENTATION = r"""
    name: stack
    short_description: The flaskstack stack defaults and wiring for the groups all and role_*
    description:
      - >-
        Loads the collection's own C(group_vars/<group>.yml) files (C(all), C(role_app), C(role_db),
        C(role_web), C(role_redis), C(role_worker)) as group variables of the inventory - the app's
        C(DATABASE_URL) from the first C(role_db) host, C(pg_hba) entries for exactly the C(role_app)
        and C(role_worker) hosts, nginx's upstream of the C(role_app) hosts, and the stack defaults they
        are built from.
      - >-
        A C(role_worker) group gets the C(role_app) wiring first (the same release, environment, secrets
        and database CA), then C(group_vars/role_worker.yml) on top (no web process, the workers on).
      - >-
        List it B(before) C(host_group_vars) in C(vars_plugins_enabled)
        (C(vars_plugins_enabled = flaskstack.deploy.stack,host_group_vars)), so the inventory's own
        C(group_vars/<group>/*.yml) files are combined after it and override any of its variables.
      - >-
        It serves the first inventory source that is a path (a directory, or the directory of an
        inventory file) and nothing else - not the playbook directory, where it would be combined after
        the inventory's C(group_vars/all) and override it, and not a second inventory source, whose turn
        comes after the first one's C(group_vars).
      - >-
        A variable the inventory source sets on the same group (C(vars) of C(all) or of C(role_app) in
        C(hosts.yml)) also wins - the plugin leaves it out. As with any group_vars, a C(role_*) group's
        value beats C(all), so set a C(role_app) wiring variable in C(group_vars/role_app/) (or in
        C(role_app) vars), and an C(all) default (C(flaskstack_app_threads), ...) in C(group_vars/all/)
        or C(all) vars - inventory-file vars of a C(role_*) group do not beat the stack's C(all) defaults.
    options:
      stage:
        ini:
          - key: stage
            section: vars_flaskstack_stack
        env:
          - name: FLASKSTACK_STACK_VARS_STAGE
    extends_documentation_fragment:
      - ansible.builtin.vars_plugin_staging
"""

EXAMPLES = r"""
# ansible.cfg of a project that deploys with flaskstack.deploy
# [defaults]
# vars_plugins_enabled = flaskstack.deploy.stack,host_group_vars
"""

import os

from ansible import constants as C
from ansible import context
from ansible.inventory.group import Group
from ansible.plugins.vars import BaseVarsPlugin
from ansible.utils.vars import combine_vars

# <collection>/plugins/vars/stack.py -> <collection>/group_vars
STACK_VARS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "group_vars")


def first_inventory_dir(sources) -> str | None:
    """The directory of the first inventory source that is a path, as Ansible passes it to vars plugins."""
    for source in sources or ():
        if not source or ("," in source and not os.path.exists(source)):
            continue  # a host list such as "localhost,"
        path = source if os.path.isdir(source) else os.path.dirname(source)
        return os.path.realpath(path)
    return None


# Groups whose hosts take another group's wiring first: worker hosts run the app's
# release (env, secrets, CA) like app hosts, and their own file turns the web off.
STACK_BASE_GROUPS = {"role_worker": ("role_app",)}


def stack_vars_file(group: str, vars_dir: str = STACK_VARS_DIR) -> str | None:
    """The collection's vars file for `group`, when it has one."""
    if os.sep in group or group.startswith("."):
        return None
    path = os.path.join(vars_dir, group + ".yml")
    return path if os.path.isfile(path) else None


def stack_vars_files(group: str, vars_dir: str = STACK_VARS_DIR) -> list[str]:
    """The collection's vars files for `group`, in the order they are combined (later ones win)."""
    names = STACK_BASE_GROUPS.get(group, ()) + (group,)
    return [found for found in (stack_vars_file(name, vars_dir) for name in names) if found]


def without_inventory_vars(stack: dict, inventory: dict) -> dict:
    """The stack's vars of a group minus those the inventory source itself sets for that group.

    Vars plugins are combined after the inventory file's own group vars (``vars:`` in hosts.yml),
    so a stack default would beat them; a default yields to any value the user wrote.
    """
    return {k: v for k, v in stack.items() if k not in inventory}


class VarsModule(BaseVarsPlugin):

    is_stateless = True

    def _inventory_sources(self):
        try:
            sources = context.CLIARGS.get("inventory")
        except AttributeError:
            sources = None
        return sources or C.DEFAULT_HOST_LIST

    def _load(self, loader, path):
        try:
            # ansible-core 2.19+: values are templates the stack wrote, trusted as such.
            return loader.load_from_file(path, cache="all", unsafe=True, trusted_as_template=True)
        except TypeError:
            return loader.load_from_file(path, cache="all", unsafe=True)

    def get_vars(self, loader, path, entities, cache=True):
        super().get_vars(loader, path, entities)
        if not isinstance(entities, list):
            entities = [entities]
        if os.path.realpath(path) != first_inventory_dir(self._inventory_sources()):
            return {}
        data = {}
        for entity in entities:
            if not isinstance(entity, Group):
                continue
            for found in stack_vars_files(entity.name):
                data = combine_vars(data, without_inventory_vars(self._load(loader, found) or {}, entity.get_vars()))
        return data
