# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""The app's non-web process types (Procfile `worker:` lines and flask_app_processes) as systemd units.

Pure standard library. The flask_app role's `app_processes` filter calls `resolve()`
to turn what the Procfile declares and what the inventory sets into one list of
process types, each run as `<app>-<type>@<n>.service` instances of the release's
venv; the `process_gate` module reads the units' state after a switch with
`verdict()`. Bad input raises ProcessError naming the variable and the fix.
"""

from __future__ import annotations

import re
import shlex

from ansible_collections.flaskstack.deploy.plugins.module_utils.app_shape import (
    PROCESS_NAME, ShapeError, split_command)

RESERVED = frozenset({"web", "release"})
MAX_COUNT = 32
VARIABLE = "flask_app_processes"
ENV_REFERENCE = re.compile(r"\$(\{)?([A-Za-z_][A-Za-z0-9_]*)(\})?")


class ProcessError(ValueError):
    """Input that cannot become a process type; the message names the fix."""


def _shell_word(word: str) -> str:
    """One word of the launcher script: literal text single-quoted, $VAR/${VAR} expanded (as one word)."""
    parts, last = [], 0
    for match in ENV_REFERENCE.finditer(word):
        if bool(match.group(1)) != bool(match.group(3)):
            raise ProcessError(f"{VARIABLE}: unbalanced braces in `{word}`: write $NAME or ${{NAME}}")
        if match.start() > last:
            parts.append(shlex.quote(word[last:match.start()]))
        parts.append('"${' + match.group(2) + '}"')
        last = match.end()
    if last < len(word) or not parts:
        parts.append(shlex.quote(word[last:]))
    return "".join(parts)


def launcher(argv: list[str], venv_bin: str, code_dir: str) -> tuple[str, str]:
    """(executable, /bin/sh launcher script) for a command of the release.

    A bare name runs from the release's venv (`rq` -> <venv>/bin/rq, `python` -> <venv>/bin/python);
    a relative path runs from the release's code directory; an absolute path as it is. The script
    `exec`s the program (systemd supervises it directly) with $VAR references taken from the env files.
    """
    program = argv[0]
    if "$" in program:
        raise ProcessError(f"{VARIABLE}: the program `{program}` must be a name or a path, not a variable: "
                           "name the program and pass variables as arguments")
    if program.startswith("/"):
        executable = program
    elif "/" in program:
        executable = code_dir.rstrip("/") + "/" + re.sub(r"^\./", "", program)
    else:
        executable = venv_bin.rstrip("/") + "/" + program
    command = " ".join([shlex.quote(executable)] + [_shell_word(word) for word in argv[1:]])
    return executable, f"#!/bin/sh\n# Written by flaskstack.deploy.flask_app: {shlex.join(argv)}\nexec {command}\n"


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ProcessError(f"{VARIABLE}.{name}.count: {value!r} is not a whole number from 0 to {MAX_COUNT} "
                           "(0 = do not run this process type on these hosts)")
    return value


def _stop_timeout(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 86400:
        raise ProcessError(f"{VARIABLE}.{name}.stop_timeout: {value!r} is not a number of seconds from 1 to 86400 "
                           "(how long jobs in flight get to finish after SIGTERM)")
    return value


def resolve(detected: dict | None, declared: dict | None, app: str, root: str,
            stop_timeout: int = 30, release: str = "", enabled: bool = True) -> list[dict]:
    """Process types to run, sorted by name.

    detected: the shape's `processes` ({type: {command, argv}}, from the Procfile).
    declared: flask_app_processes ({type: {command?, count?, stop_timeout?}} or {type: "command"});
              it wins over the Procfile per key; count 0 switches a type off.
    release: the release whose venv and code the launcher scripts run (empty: whatever `current` is).
    enabled: false = every count is 0 (a host that runs no workers; the types are still validated).
    """
    detected = detected or {}
    declared = declared if declared is not None else {}
    if not isinstance(declared, dict):
        raise ProcessError(f"{VARIABLE} must be a mapping of process type to settings, e.g. "
                           "{worker: {command: 'rq worker jobs', count: 2}}, not " + type(declared).__name__)
    result = []
    for name in sorted(set(detected) | set(declared)):
        if not isinstance(name, str) or not PROCESS_NAME.match(name):
            raise ProcessError(f"{VARIABLE}: process type {name!r} must be 1-31 letters, digits, '_' or "
                               "'-' (it names the systemd unit <app>-<type>@<n>.service): rename it")
        if name in RESERVED:
            raise ProcessError(f"{VARIABLE}.{name}: `{name}` is not a worker process type: the web process is "
                               "gunicorn (flask_app_wsgi_app) and release commands are flask_app_migrate_command")
        settings = declared.get(name, {})
        if isinstance(settings, str):
            settings = {"command": settings}
        if not isinstance(settings, dict):
            raise ProcessError(f"{VARIABLE}.{name} must be a command string or a mapping with command, count, "
                               "stop_timeout")
        unknown = sorted(set(settings) - {"command", "count", "stop_timeout"})
        if unknown:
            raise ProcessError(f"{VARIABLE}.{name}: unknown setting(s) {', '.join(unknown)}: use command, count, "
                               "stop_timeout")
        command = settings.get("command") or detected.get(name, {}).get("command", "")
        if not command:
            raise ProcessError(f"{VARIABLE}.{name}: no command (the Procfile has no `{name}:` line): set "
                               f"{VARIABLE}.{name}.command")
        if not isinstance(command, str):
            raise ProcessError(f"{VARIABLE}.{name}.command must be one command line (a string)")
        origin = "flask_app_processes" if settings.get("command") else "Procfile"
        try:
            argv = split_command(command, f"{origin} {name}:")
        except ShapeError as exc:
            raise ProcessError(str(exc)) from None
        count = _count(name, settings.get("count", 1)) if enabled else 0
        timeout = _stop_timeout(name, settings.get("stop_timeout", stop_timeout))
        base = f"{root}/releases/{release}" if release else f"{root}/current"
        executable, script = launcher(argv, f"{base}/venv/bin", f"{base}/code")
        template = f"{app}-{name}@.service"
        result.append({
            "name": name,
            "command": command,
            "origin": origin,
            "count": count,
            "stop_timeout": timeout,
            "program": argv[0],
            "executable": executable,
            "script": script,
            "template": template,
            "units": [f"{app}-{name}@{index}.service" for index in range(1, count + 1)],
        })
    return result


def verdict(states: dict[str, dict], settled: float) -> tuple[str, list[str]]:
    """'ok', 'wait' or 'failed' for units' `systemctl show` properties, with the reasons.

    A unit is good when it is active, has not been restarted automatically since it was (re)started
    (NRestarts=0) and has been running for `settled` seconds (ActiveEnterTimestampMonotonic, in µs,
    against the monotonic clock `now_us` given in each state).
    """
    reasons, waiting = [], False
    for unit, props in sorted(states.items()):
        restarts = int(props.get("NRestarts") or 0)
        active = props.get("ActiveState", "")
        if restarts > 0:
            reasons.append(f"{unit} restarted {restarts} time(s) since the switch (crash loop)")
        elif active in ("failed", "inactive") or props.get("LoadState") == "not-found":
            reasons.append(f"{unit} is {active or 'missing'} ({props.get('Result', '?')})")
        elif active != "active":
            waiting = True
        else:
            since = int(props.get("ActiveEnterTimestampMonotonic") or 0)
            up = (int(props.get("now_us") or 0) - since) / 1e6
            if up < settled:
                waiting = True
    if reasons:
        return "failed", reasons
    return ("wait" if waiting else "ok"), []
