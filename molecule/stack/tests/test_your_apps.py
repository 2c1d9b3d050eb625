"""Three example apps of different shapes (tests/apps/), each deployed as its team would:

- the app's directory is a copy outside this checkout, unchanged;
- its own project comes from the scaffold (`flaskstack.deploy.init`) of the collection
  installed from the tarball `ansible-galaxy collection build` makes; it installs that
  tarball from its `requirements.yml` and runs the collection's playbooks from its own
  directory, with nothing of this checkout on any path;
- its inventory is the scenario's five hosts (db1, redis1, app1, app2, web1) in the
  stack's groups, with the app's settings and an ansible-vault file as a user writes them.

The three projects deploy one after another as the same stack app, `shop` (one
database, one Redis ACL user, gunicorn on port 8001 next to the reference app), the
way a team replaces its code: the first with `flaskstack.deploy.site` (which creates
the app's database, Redis user, firewall rules and nginx upstream), the next ones with
`flaskstack.deploy.deploy`. Every deploy after the first and the rollback run under a
bounded load through nginx and must fail no request. The Procfile app then gets a
second release (a code change) and is rolled back: web and its RQ workers move to the
new release and back, and a job enqueued over HTTP is processed within 10 s on
whichever release is live. (A full site run per app would cost more CPU than the
whole `make test` budget leaves; `site` once, then releases, is the users' path too.)

This module runs last (the reference app's tests before it need nginx in front of
bookshelf).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from chaos_helpers import APP_HOSTS, BASE, REPO, Background, paced_load, sh, tail
from conftest import bounded_load

testinfra_hosts = ["web1"]

VAULT_PASSWORD = "molecule-apps-vault-0123456789"
MAX_SECONDS = 600


APP_NAME, APP_PORT = "shop", 8001
# The team's secrets, the same in each project's vault (one stack app, one database).
SECRETS = {
    "vault_db_owner_password": "shop-owner-0b6c1f3e9a2d4e7f8a1b2c3d4e5f",
    "vault_db_app_password": "shop-app-7e2d9c4b1a0f3e6d5c8b7a6f5e4d3c",
    "vault_app_secret_key": "shop-secret-4f1e8d7c6b5a49382716a5b4c3d2e1f0",
    "vault_redis_password": "shop-redis-9a8b7c6d5e4f3a2b1c0d",
    "vault_app_jwt_secret_key": "shop-jwt-0123456789abcdef0123456789abcdef01",
}


@dataclass
class App:
    """One example app and what its project's inventory says about it (a user's 20-app.yml)."""
    directory: str
    page: str  # a page that answers JSON with the release it comes from
    app_vars: dict
    workers: tuple[str, ...] = ()


APPS = {
    "factory": App("factory_app", "/", {
        "flaskstack_app_secrets": ["JWT_SECRET_KEY"], "flaskstack_app_signing_secrets": ["JWT_SECRET_KEY"],
        "flask_app_seed_command": "flask db-custom seed", "flask_app_healthcheck_url": "/"}),
    "beanstalk": App("beanstalk_app", "/banner", {"flask_app_healthcheck_url": "/"}),
    "procfile": App("procfile_app", "/", {
        "flask_app_healthcheck_url": "/", "flask_app_processes": {"worker": {"count": 2}},
        "flask_app_process_settle": 3}, workers=("worker@1", "worker@2")),
}


def user_env(**extra: str) -> dict[str, str]:
    """A user's shell: the toolchain on PATH, none of this checkout's ANSIBLE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a user's command; its whole output goes to <scenario's ephemeral dir>/your_apps/."""
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    logs = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", tempfile.gettempdir())) / "your_apps"
    logs.mkdir(exist_ok=True)
    log = logs / f"{int(time.time())}-{cwd.name}-{re.sub(r'[^A-Za-z0-9.]+', '_', ' '.join(cmd[:4]))[:80]}.log"
    log.write_text(result.stdout + result.stderr)
    print(f"[{cwd.name}] {' '.join(cmd[:4])[:90]}: rc={result.returncode} in {time.monotonic() - started:.0f}s")
    return result


def checked(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, tail(result)
    return result


@pytest.fixture(scope="module")
def tarball():
    """The collection as it ships: built from the checkout into a directory outside it."""
    work = Path(tempfile.mkdtemp(prefix="flaskstack-apps-"))
    dist, boot = work / "dist", work / "boot"
    dist.mkdir()
    checked(run(["ansible-galaxy", "collection", "build", "--output-path", str(dist), str(REPO)], work, user_env()))
    (built,) = dist.glob("flaskstack-deploy-*.tar.gz")
    checked(run(["ansible-galaxy", "collection", "install", "--no-deps", "-p", str(boot), str(built)],
                work, user_env()))
    yield {"work": work, "tarball": built, "boot": boot}
    shutil.rmtree(work, ignore_errors=True)


def molecule_hosts() -> dict:
    """The scenario's hosts and groups, as a static inventory of the user's project."""
    with open(os.environ["MOLECULE_INVENTORY_FILE"], encoding="utf-8") as handle:
        molecule = yaml.safe_load(handle)
    keep = ("ansible_connection", "ansible_host", "ansible_user")
    groups = {}
    for group in ("role_db", "role_redis", "role_app", "role_web"):
        groups[group] = {"hosts": {name: {k: v for k, v in hostvars.items() if k in keep}
                                   for name, hostvars in molecule[group]["hosts"].items()}}
    return {"all": {"vars": {"ansible_python_interpreter": "/usr/bin/python3"}, "children": groups}}


class Project:
    """A scaffolded project deploying one app from a directory outside the checkout."""

    def __init__(self, app: App, tarball: dict):
        self.app = app
        base = tarball["work"] / app.directory
        self.source, self.root = base / "app", base / f"{APP_NAME}-deploy"
        shutil.copytree(REPO / "tests" / "apps" / app.directory, self.source)
        checked(run(["ansible-playbook", "flaskstack.deploy.init", "-e", f"project_dir={self.root}",
                     "-e", f"app_dir={self.source}", "-e", f"app_name={APP_NAME}",
                     "-e", f"collection_tarball={tarball['tarball']}"],
                    tarball["work"], user_env(ANSIBLE_COLLECTIONS_PATH=str(tarball["boot"]))))
        (self.root / ".vault_pass").write_text(VAULT_PASSWORD)
        self.env = user_env(ANSIBLE_CONFIG=str(self.root / "ansible.cfg"),
                            ANSIBLE_VAULT_PASSWORD_FILE=str(self.root / ".vault_pass"))
        checked(run(["ansible-galaxy", "collection", "install", "--no-deps", "-r", "requirements.yml"],
                    self.root, self.env))
        self.write_inventory()

    def write_inventory(self) -> None:
        lab = self.root / "inventories" / "lab" / "group_vars"
        inv = self.root / "inventories" / "molecule"
        (inv / "group_vars").mkdir(parents=True)
        shutil.copytree(lab / "all", inv / "group_vars" / "all")
        (inv / "group_vars" / "all" / "vault.yml.example").unlink()
        (inv / "hosts.yml").write_text(yaml.safe_dump(molecule_hosts()))
        app_file = inv / "group_vars" / "all" / "20-app.yml"
        settings = yaml.safe_load(app_file.read_text())
        settings.update(self.app.app_vars, flaskstack_app_port=APP_PORT, flaskstack_environment="molecule")
        app_file.write_text(yaml.safe_dump(settings))
        # The test machine reaches nginx through the scenario network's gateway (as the stack's own inventory).
        (inv / "group_vars" / "role_web").mkdir()
        shutil.copy(REPO / "molecule" / "stack" / "group_vars" / "role_web" / "10-stack.yml",
                    inv / "group_vars" / "role_web" / "10-molecule.yml")
        vault = inv / "group_vars" / "all" / "vault.yml"
        vault.write_text(yaml.safe_dump(SECRETS))
        checked(run(["ansible-vault", "encrypt", str(vault)], self.root, self.env))

    def playbook(self, name: str, *args: str) -> subprocess.CompletedProcess:
        return run(["ansible-playbook", "-i", "inventories/molecule", f"flaskstack.deploy.{name}", *args],
                   self.root, self.env)

    def live_release(self, host: str) -> str:
        return sh(host, f"basename $(readlink /srv/{APP_NAME}/current)").stdout.strip()

    def worker_releases(self) -> dict[str, str]:
        """{host/instance: release} of each running worker, from its program's path
        (/srv/<app>/releases/<id>/venv/bin/...; /proc/<pid>/cwd needs CAP_SYS_PTRACE)."""
        seen = {}
        prefix = f"/srv/{APP_NAME}/releases/"
        for host in APP_HOSTS:
            for instance in self.app.workers:
                unit = f"{APP_NAME}-{instance}.service"
                pid = sh(host, f"systemctl show -p MainPID --value {unit}").stdout.strip()
                argv = sh(host, f"tr '\\0' ' ' < /proc/{pid}/cmdline", check=False).stdout.split()
                program = next((a for a in argv if a.startswith(prefix)), "")
                seen[f"{host}/{instance}"] = program[len(prefix):].split("/")[0] if program else "down"
        return seen


def get(path: str, method: str = "GET", timeout: float = 10):
    """One request through nginx on 127.0.0.1: (status, body text, headers)."""
    request = urllib.request.Request(BASE + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace"), err.headers
    except OSError as err:
        return 0, str(err), {}


def served_release(path: str, requests: int = 12) -> set[str]:
    """The releases nginx's answers on `path` come from (the app's JSON `release`)."""
    seen = set()
    for _ in range(requests):
        status, body, _ = get(path)
        seen.add(json.loads(body)["release"] if status == 200 else f"HTTP {status}")
    return seen


def job_round_trip(limit: float = 10) -> dict:
    """Enqueue a job over HTTP and wait (≤ `limit` s) until a worker wrote its result."""
    status, body, _ = get("/jobs", method="POST")
    assert status == 202, (status, body)
    job = json.loads(body)["id"]
    started = time.monotonic()
    while time.monotonic() - started < limit:
        status, body, _ = get(f"/jobs/{job}")
        if status == 200:
            return {**json.loads(body), "seconds": round(time.monotonic() - started, 2)}
        time.sleep(0.25)
    return {"value": None, "seconds": None}


def observe(project: Project) -> dict:
    """What the stack serves right after a step, read before the next step starts."""
    seen = {"live": {host: project.live_release(host) for host in APP_HOSTS},
            "served": served_release(project.app.page)}
    if project.app.workers:
        seen["workers"] = project.worker_releases()
        seen["job"] = job_round_trip()
    return seen


# (step, app, playbook, under load, a code change first). In this order, each once.
STEPS = [
    ("factory", "factory", "site", False, False),
    ("beanstalk", "beanstalk", "deploy", True, False),
    ("procfile", "procfile", "deploy", True, False),
    ("procfile-2", "procfile", "deploy", True, True),
    ("rollback", "procfile", "rollback", True, False),
]


@pytest.fixture(scope="module")
def step(tarball):
    """step(name): run the steps up to `name` (once each) and return what `name` left."""
    projects: dict[str, Project] = {}
    done: dict[str, dict] = {}

    def run_to(name: str) -> dict:
        for key, app, playbook, loaded, change in STEPS:
            if key not in done:
                project = projects.get(app) or projects.setdefault(app, Project(APPS[app], tarball))
                if change:  # a team's next commit: a new source hash, so a new release id
                    (project.source / "CHANGES.txt").write_text("second release\n")
                done[key] = {"project": project, **run_step(project, playbook, loaded)}
                done[key].update(observe(project) if done[key]["run"].returncode == 0 else {})
            if key == name:
                return done[key]
        raise KeyError(name)

    return run_to


def run_step(project: Project, playbook: str, loaded: bool) -> dict:
    if not loaded:
        return {"run": project.playbook(playbook), "load": None}
    background = Background(playbook, runner=project.playbook)
    background.start()
    # A few requests at a time through nginx (bounded in count and seconds) for as long as the playbook runs.
    load = paced_load(bounded_load, BASE + "/", background.done, MAX_SECONDS, burst=4, pause=0.5)
    return {"run": background.wait(), "load": load}


def assert_rolled(now: dict, before: dict) -> None:
    """The playbook passed under load with 0 failed requests; every host serves one new release."""
    assert now["run"].returncode == 0, tail(now["run"])
    print(now["load"])
    assert now["load"].failed == 0 and now["load"].total > 0 and now["load"].stopped, now["load"]
    live = set(now["live"].values())
    assert len(live) == 1 and now["served"] == live, now
    assert live != set(before["live"].values()), "the release did not change"


def release_of(state: dict) -> str:
    (release,) = set(state["live"].values())
    return release


# --- 1. requirements.txt + factory main:create_app(), Flask-Migrate, a CLI seed, an sdist-only dependency

def test_factory_app_first_deploy_with_site_answers_through_nginx(step):
    now = step("factory")
    assert now["run"].returncode == 0, tail(now["run"])
    assert "main:create_app()" in now["run"].stdout, "the build prints the detected shape"
    assert len(set(now["live"].values())) == 1 and now["served"] == set(now["live"].values()), now
    status, body, _ = get("/")
    page = json.loads(body)
    assert status == 200, body
    # Flask-Migrate's migrations/ ran from the release's code directory; `flask db-custom seed` ran once.
    assert page["notes"] == ["first", "second"], page
    # docopt is published as an sdist only: built into a wheel on the controller.
    assert page["docopt"] == "0.6.2" and page["jwt_configured"] is True, page


# --- 2. Beanstalk application.py, static/, no health endpoint

def test_beanstalk_app_rolls_in_under_load_and_serves_pages_and_static_files(step):
    now = step("beanstalk")
    assert_rolled(now, step("factory"))
    status, body, _ = get("/")
    assert status == 200 and "beanstalk app" in body, body
    status, css, headers = get("/static/style.css")
    assert status == 200 and css == (REPO / "tests/apps/beanstalk_app/static/style.css").read_text()
    assert "max-age=604800" in headers.get("Cache-Control", ""), dict(headers)
    # application.py reads static/banner.txt relative to its working directory: the live release's code.
    status, body, _ = get("/banner")
    banner, live = json.loads(body), release_of(now)
    assert banner["banner"] == (REPO / "tests/apps/beanstalk_app/static/banner.txt").read_text().strip()
    assert (banner["cwd"], banner["release"]) == (f"/srv/{APP_NAME}/releases/{live}/code", live), banner


# --- 3. Procfile web: / release: / worker: (RQ on the redis host, results in PostgreSQL)

def test_procfile_app_rolls_in_and_its_workers_process_a_job_within_10_s(step):
    now = step("procfile")
    assert_rolled(now, step("beanstalk"))
    live = release_of(now)
    assert now["job"]["value"] == 5, f"job not processed within 10 s: {now['job']}"
    assert now["job"]["release"] == live and now["job"]["worker"] in {"worker.1", "worker.2"}, now["job"]
    assert set(now["workers"].values()) == {live}, now["workers"]


def test_procfile_app_second_release_moves_web_and_workers_under_load(step):
    now = step("procfile-2")
    assert_rolled(now, step("procfile"))
    live = release_of(now)
    assert set(now["workers"].values()) == {live}, now["workers"]
    assert now["job"]["value"] == 5 and now["job"]["release"] == live, now["job"]


def test_rollback_brings_web_and_workers_back_to_the_previous_release(step):
    now, first = step("rollback"), step("procfile")
    assert_rolled(now, step("procfile-2"))
    assert release_of(now) == release_of(first)
    assert set(now["workers"].values()) == {release_of(first)}, now["workers"]
    assert now["job"]["value"] == 5 and now["job"]["release"] == release_of(first), now["job"]
