# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""Tell what shape a Flask app source directory has, and how to run it.

Pure standard library, no Ansible imports: the flask_app role's build action
(plugins/action/app_build.py) calls `detect()` on the controller before any host
is touched, and the collection's tests call it directly.

Shapes:
  project       pyproject.toml with [project]/[build-system]/[tool.poetry], or setup.py:
                built into a wheel and pip-installed (the reference app's path)
  requirements  an application directory with requirements.txt whose modules run from
                that directory (module:app, module:create_app(), application.py, wsgi.py)
  wheel         one built .whl file
  wheelhouse    a directory of wheels

Explicit role variables always win over what is detected; everything detected is
reported in one line (`summary`). Bad input raises ShapeError whose message names
the problem and the fix.
"""

from __future__ import annotations

import ast
import os
import re
import shlex

try:  # Python 3.11+ (the controller's supported range)
    import tomllib
except ImportError:  # pragma: no cover - older controllers read no pyproject tables
    tomllib = None

# Directories that are never part of the shipped code nor of the source digest.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                       ".tox", ".nox", ".venv", "venv", "env", "build", "dist", "instance", "tests",
                       "node_modules", ".idea", ".vscode"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".sqlite", ".sqlite3", ".db", ".swp", ".log")
SKIP_FILES = frozenset({".env", ".DS_Store"})

# Lock / constraints files honoured next to requirements.txt (or a packaged project), first found wins.
CONSTRAINT_FILES = ("constraints.txt", "requirements.lock", "requirements-lock.txt")

# Module files an application directory is usually started from, in the order we look.
ENTRY_MODULES = ("wsgi", "application", "app", "main", "server", "run")
# Callables of a module, in order of preference: an app object first, then a factory.
APP_OBJECTS = ("application", "app")
APP_FACTORIES = ("create_app", "make_app")

PROCESS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$")
WSGI_TARGET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
                         r"(:[A-Za-z_][A-Za-z0-9_]*(\([^()$`]*\))?)?$")
SHELL_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "<", ">", ">>", "<<", ">&", "&>", "|&", ";;"})

# gunicorn options a Procfile web: line may carry.
# Honoured: written into gunicorn.conf.py as they are (name -> (setting, type)).
GUNICORN_HONOURED = {
    "--worker-connections": ("worker_connections", int),
    "--backlog": ("backlog", int),
    "--limit-request-line": ("limit_request_line", int),
    "--limit-request-fields": ("limit_request_fields", int),
    "--limit-request-field_size": ("limit_request_field_size", int),
    "--limit-request-field-size": ("limit_request_field_size", int),
    "--access-logformat": ("access_log_format", str),
    "--statsd-host": ("statsd_host", str),
    "--statsd-prefix": ("statsd_prefix", str),
    "--dogstatsd-tags": ("dogstatsd_tags", str),
}
# Overridden: the role sets these itself; the variable to use instead is reported.
# name -> (takes a value, what controls it)
GUNICORN_OVERRIDDEN = {
    "-b": (True, "flask_app_bind / flask_app_port"), "--bind": (True, "flask_app_bind / flask_app_port"),
    "-w": (True, "flask_app_workers"), "--workers": (True, "flask_app_workers"),
    "--threads": (True, "flask_app_threads"),
    "-k": (True, "flask_app_worker_class"), "--worker-class": (True, "flask_app_worker_class"),
    "-t": (True, "flask_app_timeout"), "--timeout": (True, "flask_app_timeout"),
    "--graceful-timeout": (True, "flask_app_graceful_timeout"),
    "--keep-alive": (True, "flask_app_keepalive"),
    "--max-requests": (True, "flask_app_max_requests"),
    "--max-requests-jitter": (True, "flask_app_max_requests_jitter"),
    "--forwarded-allow-ips": (True, "flask_app_forwarded_allow_ips"),
    "--log-level": (True, "flask_app_log_level"),
    "--log-file": (True, "flask_app_log_to_files"), "--error-logfile": (True, "flask_app_log_to_files"),
    "--access-logfile": (True, "flask_app_log_to_files"),
    "--capture-output": (False, "flask_app_log_to_files"),
    "--enable-stdio-inheritance": (False, "journald"),
    "--preload": (False, "never preloaded: a restart must load the new release"),
    "--reload": (False, "releases are switched by deploys"),
    "--reload-engine": (True, "releases are switched by deploys"),
    "--reload-extra-file": (True, "releases are switched by deploys"),
    "--chdir": (True, "the release's code directory"), "--pythonpath": (True, "the release's code directory"),
    "-D": (False, "systemd"), "--daemon": (False, "systemd"),
    "-p": (True, "systemd"), "--pid": (True, "systemd"),
    "-u": (True, "flask_app_user"), "--user": (True, "flask_app_user"),
    "-g": (True, "flask_app_group"), "--group": (True, "flask_app_group"),
    "-m": (True, "systemd UMask"), "--umask": (True, "systemd UMask"),
    "-c": (True, "the role's gunicorn.conf.py"), "--config": (True, "the role's gunicorn.conf.py"),
    "-n": (True, "flask_app_name"), "--name": (True, "flask_app_name"),
    "--worker-tmp-dir": (True, "PrivateTmp"),
    "--certfile": (True, "nginx terminates TLS"), "--keyfile": (True, "nginx terminates TLS"),
    "--ca-certs": (True, "nginx terminates TLS"),
    "-e": (True, "flask_app_env"), "--env": (True, "flask_app_env"),
}


class ShapeError(ValueError):
    """Bad input: the message names the problem and the fix."""


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def is_packaged_project(source: str) -> bool:
    """setup.py, or a pyproject.toml that declares a project (not one holding only tool settings)."""
    if os.path.isfile(os.path.join(source, "setup.py")):
        return True
    pyproject = os.path.join(source, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return False
    if tomllib is None:
        return True
    try:
        data = tomllib.loads(_read(pyproject))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ShapeError(f"{pyproject} is not valid TOML ({exc}): fix the file") from None
    return "project" in data or "build-system" in data or "poetry" in data.get("tool", {})


def classify(source: str) -> str:
    """project | requirements | wheel | wheelhouse; ShapeError when it is none of them."""
    if os.path.isfile(source) and source.endswith(".whl"):
        return "wheel"
    if not os.path.isdir(source):
        raise ShapeError(f"flask_app_source: {source} does not exist (or is neither a directory nor a .whl file): "
                         "point flask_app_source at your app's root directory on the controller")
    if is_packaged_project(source):
        return "project"
    if os.path.isfile(os.path.join(source, "requirements.txt")):
        return "requirements"
    for dirpath, dirnames, files in os.walk(source):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        if any(name.endswith(".whl") for name in files):
            return "wheelhouse"
    raise ShapeError(f"flask_app_source: {source} has neither pyproject.toml/setup.py (a packaged project) nor "
                     "requirements.txt (an application directory): add a requirements.txt listing the app's "
                     "dependencies (for example `pip freeze > requirements.txt` in its virtualenv), or point "
                     "flask_app_source at the directory that has one")


def tree_files(root: str, only_wheels: bool = False) -> list[str]:
    """Files of the app that are shipped and hashed, relative to root, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in filenames:
            if only_wheels and not name.endswith(".whl"):
                continue
            if not only_wheels and (name.endswith(SKIP_SUFFIXES) or name in SKIP_FILES):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            found.append(os.path.relpath(path, root))
    return sorted(found)


# ---------------------------------------------------------------- Procfile
def _split(line: str, where: str) -> list[str]:
    """Words of a command line; ShapeError when it needs a shell (chains, pipes, redirects, subshells)."""
    if "`" in line or "$(" in line:
        raise ShapeError(f"{where}: `{line}` uses command substitution, which flask_app does not run through a "
                         "shell: put the logic in a script in your app and call that")
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError as exc:
        raise ShapeError(f"{where}: cannot parse `{line}` ({exc}): fix the quoting") from None
    operators = [w for w in words if w in SHELL_OPERATORS or (w and set(w) <= set(";&|<>"))]
    if operators:
        raise ShapeError(f"{where}: `{line}` chains commands or uses the shell ({' '.join(operators)}); flask_app "
                         "runs one command per process type and never half-runs a chain: move the steps before "
                         "the server into `release:` (it runs once per deploy, `a && b` allowed there) or into a "
                         "script in your app")
    if words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        raise ShapeError(f"{where}: `{line}` sets environment variables inline ({words[0]}): set them in "
                         "flask_app_env instead")
    if not words:
        raise ShapeError(f"{where}: the command is empty: give the command or remove the line")
    return words


split_command = _split  # public name, for module_utils/processes.py


def _command_list(line: str, where: str) -> list[list[str]]:
    """A release command: one command, or several joined by `&&` (run in order, stop at the first failure)."""
    return [_split(part.strip(), where) for part in re.split(r"\s&&\s", line)]


def parse_procfile(text: str, where: str = "Procfile") -> dict[str, str]:
    """Process type -> command line, as Heroku reads a Procfile."""
    processes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([^:\s]+)\s*:\s*(.*)$", line)
        if not match:
            raise ShapeError(f"{where} line {number}: `{line}` is not `<process type>: <command>`: fix the line")
        name, command = match.group(1), match.group(2).strip()
        if not PROCESS_NAME.match(name):
            raise ShapeError(f"{where} line {number}: process type `{name}` must be 1-31 letters, digits, "
                             "'_' or '-' (it names a systemd unit): rename it")
        if name in processes:
            raise ShapeError(f"{where} line {number}: process type `{name}` is defined twice: keep one")
        if not command:
            raise ShapeError(f"{where} line {number}: process type `{name}` has no command: give one or "
                             "remove the line")
        processes[name] = command
    return processes


def parse_web(command: str, where: str = "Procfile web:") -> dict:
    """The WSGI target and gunicorn options of a `web:` command (gunicorn only)."""
    words = _split(command, where)
    if words[0] == "exec":
        words = words[1:]
    if len(words) >= 3 and re.match(r"^(.*/)?python(3(\.[0-9]+)?)?$", words[0]) and words[1:3] == ["-m", "gunicorn"]:
        args = words[3:]
    elif words and os.path.basename(words[0]) == "gunicorn":
        args = words[1:]
    else:
        raise ShapeError(f"{where}: `{command}` does not start gunicorn; flask_app serves the app with gunicorn "
                         "under systemd: write `web: gunicorn <module>:<app>` (e.g. `gunicorn main:create_app()`), "
                         "or set flask_app_wsgi_app")
    honoured: dict[str, object] = {}
    shown: list[str] = []
    overridden: list[str] = []
    targets: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if not word.startswith("-") or word == "-":
            targets.append(word)
            continue
        name, value = (word.split("=", 1) + [None])[:2] if word.startswith("--") else (word, None)
        if not word.startswith("--") and len(word) > 2:  # -w4
            name, value = word[:2], word[2:]
        if name in GUNICORN_OVERRIDDEN:
            takes_value, by = GUNICORN_OVERRIDDEN[name]
            if takes_value and value is None:
                if index >= len(args):
                    raise ShapeError(f"{where}: `{name}` needs a value: fix the line")
                index += 1
            overridden.append(f"{name} ({by})")
        elif name in GUNICORN_HONOURED:
            setting, kind = GUNICORN_HONOURED[name]
            if value is None:
                if index >= len(args):
                    raise ShapeError(f"{where}: `{name}` needs a value: fix the line")
                value = args[index]
                index += 1
            if "$" in value:
                raise ShapeError(f"{where}: `{name} {value}` depends on an environment variable that is not known "
                                 "at build time: write the value")
            try:
                honoured[setting] = kind(value)
            except ValueError:
                raise ShapeError(f"{where}: `{name} {value}` needs a number: fix the value") from None
            shown.append(f"{name} {value}")
        else:
            raise ShapeError(f"{where}: gunicorn option `{name}` is not supported by flask_app (it manages bind, "
                             "workers, timeouts and logs itself and honours only "
                             f"{', '.join(sorted(set(GUNICORN_HONOURED)))}): remove it from the Procfile")
    if len(targets) != 1:
        raise ShapeError(f"{where}: `{command}` must name exactly one WSGI app (found {targets or 'none'}): write "
                         "`gunicorn <module>:<app>`, or set flask_app_wsgi_app")
    target = targets[0]
    if "$" in target or not WSGI_TARGET.match(target):
        raise ShapeError(f"{where}: `{target}` is not a WSGI target of the form module:app or "
                         "module:create_app(): fix it, or set flask_app_wsgi_app")
    if ":" not in target:
        target += ":application"  # gunicorn's own default
    return {"wsgi_app": target, "gunicorn_options": honoured, "honoured": shown, "overridden": overridden}


def parse_dotenv(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a .flaskenv (python-dotenv's format, without interpolation)."""
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].strip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        env[key.strip()] = value
    return env


# ---------------------------------------------------------------- WSGI detection
def module_names(path: str) -> set[str]:
    """Names a module defines at its top level (assignments, imports, functions)."""
    try:
        tree = ast.parse(_read(path), filename=path)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Try):
            for sub in node.body:
                if isinstance(sub, ast.Assign):
                    names.update(t.id for t in sub.targets if isinstance(t, ast.Name))
    return names


def wsgi_callable(path: str) -> str | None:
    """`application` / `app` / `create_app()` of a module file, by preference; None when it has none."""
    names = module_names(path)
    for name in APP_OBJECTS:
        if name in names:
            return name
    for name in APP_FACTORIES:
        if name in names:
            return name + "()"
    return None


def detect_wsgi(source: str, kind: str) -> tuple[str, str] | None:
    """(target, origin) of the app's WSGI callable, or None."""
    candidates: list[tuple[str, str]] = []  # (module path, file)
    for name in ENTRY_MODULES:
        candidates.append((name, os.path.join(source, name + ".py")))
    packages = []
    for top in (os.path.join(source, "src"), source):
        if os.path.isdir(top):
            packages += [(entry, os.path.join(top, entry)) for entry in sorted(os.listdir(top))
                         if entry not in SKIP_DIRS and os.path.isfile(os.path.join(top, entry, "__init__.py"))]
    for package, pdir in packages:
        for name in ENTRY_MODULES:
            candidates.append((f"{package}.{name}", os.path.join(pdir, name + ".py")))
    for package, pdir in packages:
        candidates.append((package, os.path.join(pdir, "__init__.py")))
    if kind == "project":  # a package's own wsgi module beats loose scripts next to pyproject.toml
        candidates.sort(key=lambda c: "." not in c[0] and c[0] in ENTRY_MODULES)
    for module, path in candidates:
        if os.path.isfile(path):
            attr = wsgi_callable(path)
            if attr:
                return f"{module}:{attr}", os.path.relpath(path, source)
    return None


def has_flask_migrate(source: str) -> str | None:
    """Relative path of a Flask-Migrate (alembic) migrations directory, when the app has one."""
    for dirpath, dirnames, files in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if os.path.basename(dirpath) == "migrations" and "env.py" in files and "alembic.ini" in files:
            return os.path.relpath(dirpath, source)
        if dirpath.count(os.sep) - source.count(os.sep) >= 3:
            dirnames[:] = []
    return None


# ---------------------------------------------------------------- the whole picture
def detect(source: str, wsgi_app: str = "", cli_app: str = "", migrate_command: str = "auto",
           constraints: str = "") -> dict:
    """Everything the role needs to build and run the app, explicit values first.

    wsgi_app / cli_app / constraints: "" = detect. migrate_command: "auto" = Procfile
    `release:`, else `flask db upgrade` when the app has Flask-Migrate migrations, else
    none; "" = none; anything else = that command (`a && b` allowed).
    """
    source = os.path.realpath(os.path.expanduser(source))
    kind = classify(source)
    tree = kind in ("project", "requirements")
    notes: list[str] = []

    procfile: dict[str, str] = {}
    if tree and os.path.isfile(os.path.join(source, "Procfile")):
        procfile = parse_procfile(_read(os.path.join(source, "Procfile")))

    # WSGI target
    web: dict = {"gunicorn_options": {}, "honoured": [], "overridden": []}
    if wsgi_app:
        if not WSGI_TARGET.match(wsgi_app):
            raise ShapeError(f"flask_app_wsgi_app: `{wsgi_app}` is not of the form module:app or "
                             "module:create_app(): fix the variable")
        wsgi, wsgi_origin = wsgi_app, "flask_app_wsgi_app"
        if "web" in procfile:
            notes.append("Procfile web: ignored (flask_app_wsgi_app set)")
    elif "web" in procfile:
        web = parse_web(procfile["web"])
        wsgi, wsgi_origin = web["wsgi_app"], "Procfile web:"
    else:
        found = detect_wsgi(source, kind) if tree else None
        if not found:
            raise ShapeError(f"flask_app_source: cannot tell the WSGI entry point of {source} (no Procfile web: "
                             "line, and no wsgi.py/application.py/app.py/main.py defining application, app or "
                             "create_app): add `web: gunicorn <module>:<app>` to a Procfile, or set "
                             "flask_app_wsgi_app (e.g. myapp:create_app())")
        wsgi, wsgi_origin = found

    # CLI app (flask --app / FLASK_APP)
    flaskenv = {}
    if tree and os.path.isfile(os.path.join(source, ".flaskenv")):
        flaskenv = parse_dotenv(_read(os.path.join(source, ".flaskenv")))
    if cli_app:
        cli, cli_origin = cli_app, "flask_app_cli_app"
    elif flaskenv.get("FLASK_APP"):
        cli, cli_origin = flaskenv["FLASK_APP"], ".flaskenv"
    else:
        cli, cli_origin = wsgi, "WSGI"

    # Release commands (run once per deploy before the switch)
    if migrate_command == "auto":
        if "release" in procfile:
            release = _command_list(procfile["release"], "Procfile release:")
            release_origin = "Procfile release:"
        elif tree and has_flask_migrate(source):
            release = [["flask", "db", "upgrade"]]
            release_origin = has_flask_migrate(source) + "/"
        else:
            release, release_origin = [], "nothing to migrate"
    elif migrate_command:
        release = _command_list(migrate_command, "flask_app_migrate_command")
        release_origin = "flask_app_migrate_command"
    else:
        release, release_origin = [], "flask_app_migrate_command empty"

    # Other process types: parsed and exposed (each must be one runnable command)
    processes = {}
    for name, command in procfile.items():
        if name in ("web", "release"):
            continue
        processes[name] = {"command": command, "argv": _split(command, f"Procfile {name}:")}

    # Constraints / lock file
    if constraints:
        path = os.path.abspath(os.path.expanduser(constraints))
        if not os.path.isfile(path):
            raise ShapeError(f"flask_app_constraints: {path} does not exist: fix the path, or leave the variable "
                             f"empty to use {'/'.join(CONSTRAINT_FILES)} from the source when there is one")
        cons, cons_origin = path, "flask_app_constraints"
    else:
        cons, cons_origin = "", "none"
        if tree:
            for name in CONSTRAINT_FILES:
                if os.path.isfile(os.path.join(source, name)):
                    cons, cons_origin = os.path.join(source, name), name
                    break

    label = {"project": "packaged project", "requirements": "requirements.txt app", "wheel": "wheel file",
             "wheelhouse": "wheelhouse directory"}[kind]
    release_text = " && ".join(shlex.join(argv) for argv in release) or "none"
    parts = [f"app shape: {label}",
             f"WSGI {wsgi} (from {wsgi_origin})",
             f"CLI {cli} (from {cli_origin})",
             f"constraints: {cons_origin}",
             f"release: {release_text}" + (f" (from {release_origin})" if release else f" ({release_origin})")]
    if processes:
        parts.append("processes: " + " ".join(sorted(processes)))
    if web["honoured"]:
        parts.append("gunicorn options honoured: " + " ".join(web["honoured"]))
    if web["overridden"]:
        parts.append("overridden by the role: " + " ".join(web["overridden"]))
    parts += notes
    return {
        "source": source,
        "kind": kind,
        "ships_code": tree,
        "requirements": "requirements.txt" if kind == "requirements" else "",
        "wsgi_app": wsgi,
        "wsgi_origin": wsgi_origin,
        "cli_app": cli,
        "cli_origin": cli_origin,
        "release_commands": release,
        "release_origin": release_origin,
        "processes": processes,
        "gunicorn_options": web["gunicorn_options"],
        "gunicorn_honoured": web["honoured"],
        "gunicorn_overridden": web["overridden"],
        "constraints": cons,
        "constraints_origin": cons_origin,
        "summary": ", ".join(parts),
    }
