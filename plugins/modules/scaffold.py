# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""Documentation of the scaffold action (the work happens in plugins/action/scaffold.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: scaffold
short_description: Render a set of templates into a new project directory on the controller
description:
  - Runs on the controller only (an action plugin) and writes there; used by the playbook
    C(flaskstack.deploy.init).
  - All or nothing - when any of O(files) exists under O(dest) and O(force) is false, nothing is
    written and the task fails naming every existing file.
version_added: "0.1.0"
author: flaskstack maintainers
options:
  dest:
    description: The directory the files are written under (created when missing).
    type: path
    required: true
  template_dir:
    description: The directory O(files[].src) are relative to.
    type: path
    required: true
  files:
    description:
      - The files, each a dict with C(dest) (relative to O(dest), never leaving it), C(src) (a Jinja
        template relative to O(template_dir)) and optionally C(vars) (extra template variables).
    type: list
    elements: dict
    required: true
  force:
    description: Overwrite files that exist.
    type: bool
    default: false
  mode:
    description: Permissions of the written files.
    type: raw
    default: "0644"
"""

EXAMPLES = r"""
- name: Write the project
  flaskstack.deploy.scaffold:
    dest: /srv/deploy/shop
    template_dir: "{{ playbook_dir }}/templates/init"
    files:
      - {dest: ansible.cfg, src: ansible.cfg.j2}
      - {dest: inventories/lab/hosts.yml, src: lab-hosts.yml.j2, vars: {init_env: lab}}
"""

RETURN = r"""
written:
  description: The files written (or, in check mode, that would be).
  type: list
  elements: str
  returned: always
unchanged:
  description: The files that already had the rendered content.
  type: list
  elements: str
  returned: always
clashes:
  description: The files that existed before the task.
  type: list
  elements: str
  returned: always
"""
