# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""Documentation of the app_build action (the work happens in plugins/action/app_build.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: app_build
short_description: Detect a Flask app's shape and build its offline wheelhouses on the controller
description:
  - Runs on the controller only (an action plugin). Detects the shape of O(source) (packaged project,
    requirements.txt application directory, wheel, wheelhouse), its WSGI entry point, CLI app, release
    commands and Procfile process types, and builds one content-addressed wheelhouse per target CPython.
  - Explicit values (O(wsgi_app), O(cli_app), O(migrate_command), O(constraints)) win over detection.
  - Bad input fails naming the problem and the fix, before any host is touched.
version_added: "0.1.0"
author: flaskstack maintainers
options:
  source:
    description: The app on the controller (a directory, a .whl file, or a directory of wheels).
    type: str
    required: true
  python_versions:
    description: Target CPython versions, one wheelhouse per C(3.Y); give C(3.Y.Z) (the hosts' exact versions) so that
      dependencies with environment markers on the full version (C(python_full_version < "3.11.3")) are included
      for those hosts - pip itself evaluates markers for the controller's Python.
    type: list
    elements: str
    required: true
  build_dir:
    description: Controller directory caching the builds by content.
    type: str
    required: true
  pip_python:
    description: The controller Python whose pip downloads and builds.
    type: str
    required: true
  constraints:
    description: pip constraints / lock file; empty = constraints.txt or requirements.lock of the source when present.
    type: str
    default: ""
  wsgi_app:
    description: WSGI target; empty = Procfile C(web:), else detected from wsgi.py/application.py/app.py/main.py.
    type: str
    default: ""
  cli_app:
    description: The C(flask --app) value; empty = .flaskenv C(FLASK_APP), else the WSGI target.
    type: str
    default: ""
  migrate_command:
    description:
      - Per-deploy release command; C(auto) = Procfile C(release:), else C(flask db upgrade) when the app has
        Flask-Migrate migrations, else none; empty = none. C(a && b) runs both in order.
    type: str
    default: auto
  package:
    description: Distribution to install; empty = the app wheel's name.
    type: str
    default: ""
  release_id:
    description: Release id; empty = 12 hex digits of the content hash.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Build the wheelhouses
  flaskstack.deploy.app_build:
    source: "{{ playbook_dir }}/myapp"
    python_versions: ["3.11", "3.13"]
    build_dir: ~/.cache/flaskstack/wheelhouses
    pip_python: "{{ ansible_playbook_python }}"
  run_once: true
"""

RETURN = r"""
summary:
  description: The detection in one line.
  returned: always
  type: str
  sample: "app shape: requirements.txt app, WSGI main:create_app() (from Procfile web:), ..."
shape:
  description: What was detected (kind, wsgi_app, cli_app, release_commands, processes, constraints...).
  returned: success
  type: dict
artifacts:
  description: Per target Python, the wheelhouse tar and its checksums.
  returned: success
  type: dict
code:
  description: The code archive of a requirements.txt app or project (path, sha256), or null.
  returned: success
  type: dict
release_id:
  description: The release id.
  returned: success
  type: str
"""
