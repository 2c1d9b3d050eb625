"""The collection as users consume it: built, installed elsewhere, scaffolded, deployed.

One module-scoped project: `ansible-galaxy collection build` of the checkout,
the tarball installed into a bootstrap path (nothing of the checkout on the
collections path, no ANSIBLE_CONFIG of the checkout), `flaskstack.deploy.init`
run from it, then `ansible-galaxy collection install -r requirements.yml` in the
new project. Every later command runs in that project with its own ansible.cfg,
so the wiring can only come from the installed tarball. No host is touched:
the plays only render variables (debug) or parse.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run

APP = ROOT / "tests" / "apps" / "factory_app"
TEST_HOSTS = {"all": {"vars": {"flaskstack_app_timeout": 45}, "children": {
    "role_db": {"hosts": {"db1": {"ansible_host": "198.51.100.5", "private_address": "10.0.0.5"}}},
    "role_app": {"hosts": {"app1": {"ansible_host": "198.51.100.11", "private_address": "10.0.0.11"},
                           "app2": {"ansible_host": "198.51.100.12", "private_address": "10.0.0.12"}}},
    "role_web": {"hosts": {"web1": {"ansible_host": "198.51.100.20", "private_address": "10.0.0.20"}}}}}}
# The same inventory with a role_worker group: the workers move off the app hosts.
WORKER_HOSTS = {"all": dict(TEST_HOSTS["all"], children=dict(TEST_HOSTS["all"]["children"], role_worker={
    "hosts": {"worker1": {"ansible_host": "198.51.100.40", "private_address": "10.0.0.40"}}}))}
SECRETS = {"vault_db_owner_password": "owner-pw", "vault_db_app_password": "app-pw",
           "vault_app_secret_key": "k" * 43}


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no ANSIBLE_* of the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    # The toolchain next to this interpreter (.venv/bin), as `make` puts it on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **extra)
    return env


def init(workdir: Path, boot: Path, *args: str, check: bool = True):
    """ansible-playbook flaskstack.deploy.init from the installed tarball (not the checkout)."""
    return run(["ansible-playbook", "flaskstack.deploy.init", *args], cwd=workdir, check=check, timeout=120,
               env=_clean_env(ANSIBLE_COLLECTIONS_PATH=str(boot)))


@pytest.fixture(scope="module")
def consumed(tmp_path_factory):
    base = tmp_path_factory.mktemp("consume")
    dist, boot, work = base / "dist", base / "boot", base / "work"
    for d in (dist, work):
        d.mkdir()
    run(["ansible-galaxy", "collection", "build", "--output-path", str(dist), str(ROOT)], cwd=work, env=_clean_env())
    (tarball,) = dist.glob("flaskstack-deploy-*.tar.gz")
    run(["ansible-galaxy", "collection", "install", "--no-deps", "-p", str(boot), str(tarball)],
        cwd=work, env=_clean_env())
    project = base / "shop"
    shutil.copytree(APP, project / "app")
    proc = init(work, boot, "-e", f"project_dir={project}", "-e", f"app_dir={project / 'app'}",
                "-e", "app_name=shop", "-e", f"collection_tarball={tarball}")
    env = _clean_env(ANSIBLE_CONFIG=str(project / "ansible.cfg"))
    run(["ansible-galaxy", "collection", "install", "--no-deps", "-r", "requirements.yml"], cwd=project, env=env)
    # A static test inventory, as a user writes one: the stack's groups, overrides in group_vars/.
    inv = project / "inventories" / "test"
    (inv / "group_vars" / "all").mkdir(parents=True)
    (inv / "group_vars" / "role_app").mkdir()
    (inv / "hosts.yml").write_text(yaml.safe_dump(TEST_HOSTS))
    shutil.copy(project / "inventories" / "lab" / "group_vars" / "all" / "20-app.yml", inv / "group_vars" / "all")
    (inv / "group_vars" / "all" / "10-test.yml").write_text(yaml.safe_dump({"flaskstack_db_port": 6543}))
    (inv / "group_vars" / "role_app" / "10-test.yml").write_text(yaml.safe_dump({"flask_app_keepalive": 99}))
    workers = project / "inventories" / "workers"
    shutil.copytree(inv, workers)
    (workers / "hosts.yml").write_text(yaml.safe_dump(WORKER_HOSTS))
    return {"project": project, "boot": boot, "work": work, "tarball": tarball, "env": env, "init": proc}


def show(consumed, host: str, expression: str, inventory: str = "inventories/test"):
    """`expression` for `host`, rendered by a debug play at the project's root (as a user's own playbook)."""
    return show_each(consumed, [(host, expression)], inventory)[0]


def show_each(consumed, queries: list[tuple[str, str]], inventory: str = "inventories/test") -> list:
    """Each (host, expression) of `queries` rendered for its host, all by one play (one ansible-playbook run)."""
    project = consumed["project"]
    hosts = sorted({host for host, _ in queries})
    play = [{"hosts": ",".join(hosts), "gather_facts": False,
             "tasks": [{"ansible.builtin.debug": {"msg": "{{ " + expression + " }}"},
                        "when": f"inventory_hostname == '{host}'"} for host, expression in queries]}]
    (project / "show.yml").write_text(yaml.safe_dump(play))
    (project / "secrets.json").write_text(json.dumps(SECRETS))
    proc = run(["ansible-playbook", "-i", inventory, "show.yml", "-e", "@secrets.json"], cwd=project,
               env=dict(consumed["env"], ANSIBLE_STDOUT_CALLBACK="json"))
    # profile_tasks (the scaffolded ansible.cfg) prints a timestamp line before the JSON.
    document, _ = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("\n{") + 1:])
    tasks = document["plays"][0]["tasks"]
    return [task["hosts"][host]["msg"] for task, (host, _) in zip(tasks, queries)]


def test_tarball_ships_the_wiring_the_vars_plugin_and_the_scaffold(consumed):
    names = set(tarfile.open(consumed["tarball"]).getnames())
    for name in ("group_vars/all.yml", "group_vars/role_app.yml", "group_vars/role_db.yml",
                 "group_vars/role_web.yml", "group_vars/role_redis.yml", "plugins/vars/stack.py",
                 "playbooks/init.yml", "plugins/action/scaffold.py"):
        assert name in names, name


def test_project_uses_the_collection_installed_from_requirements(consumed):
    out = run(["ansible-galaxy", "collection", "list", "flaskstack.deploy"], cwd=consumed["project"],
              env=consumed["env"]).stdout
    assert str(consumed["project"] / "collections" / "ansible_collections") in out


def test_installed_site_playbook_parses_against_the_scaffolded_inventories(consumed):
    for inventory in ("inventories/test", "inventories/lab"):
        proc = run(["ansible-playbook", "-i", inventory, "flaskstack.deploy.site", "--syntax-check"],
                   cwd=consumed["project"], env=consumed["env"])
        assert "collections/ansible_collections/flaskstack/deploy/playbooks/site.yml" in proc.stdout


def test_database_url_points_at_the_db_host_from_the_installed_wiring(consumed):
    url = show(consumed, "app1", "flaskstack_database_url")
    assert url.startswith("postgresql://shop_app:app-pw@10.0.0.5:")
    assert "/shop?sslmode=verify-full" in url


def test_nginx_upstream_lists_exactly_the_app_hosts(consumed):
    upstreams = show(consumed, "web1", "nginx_upstreams")
    assert upstreams == [{"name": "app", "servers": [{"address": "10.0.0.11:8000"}, {"address": "10.0.0.12:8000"}]}]


def test_pg_hba_admits_exactly_the_app_hosts(consumed):
    assert show(consumed, "db1", "postgres_app_client_cidrs") == ["10.0.0.11/32", "10.0.0.12/32"]


WIRING = [("db1", "postgres_app_client_cidrs"), ("web1", "nginx_upstreams"), ("app1", "flask_app_processes_enabled"),
          ("app1", "flaskstack_database_url")]
ON_WORKER = [("worker1", "flask_app_web_enabled"), ("worker1", "flask_app_processes_enabled"),
             ("worker1", "flask_app_secret_env | list"), ("worker1", "flaskstack_database_url")]
NAMES = ("pg_hba", "upstream", "app_workers", "app_url", "worker_web", "worker_workers", "worker_env", "worker_url")


@pytest.fixture(scope="module")
def wiring(consumed):
    """The cross-host wiring of each test inventory, without and with a role_worker group (one run each)."""
    return {"without": dict(zip(NAMES, show_each(consumed, WIRING))),
            "with": dict(zip(NAMES, show_each(consumed, WIRING + ON_WORKER, inventory="inventories/workers")))}


def test_without_role_worker_the_app_hosts_run_the_workers(wiring):
    assert wiring["without"]["app_workers"] is True
    assert wiring["without"]["pg_hba"] == ["10.0.0.11/32", "10.0.0.12/32"]


def test_pg_hba_admits_the_worker_hosts(wiring):
    assert wiring["with"]["pg_hba"] == ["10.0.0.11/32", "10.0.0.12/32", "10.0.0.40/32"]


def test_nginx_upstream_leaves_the_worker_hosts_out(wiring):
    assert wiring["with"]["upstream"] == wiring["without"]["upstream"] == [
        {"name": "app", "servers": [{"address": "10.0.0.11:8000"}, {"address": "10.0.0.12:8000"}]}]


def test_worker_hosts_run_the_workers_and_no_web_process(wiring):
    assert wiring["with"]["worker_web"] is False
    assert wiring["with"]["worker_workers"] is True


def test_with_role_worker_the_app_hosts_serve_web_requests_only(wiring):
    assert wiring["with"]["app_workers"] is False


def test_worker_hosts_get_the_app_hosts_environment(wiring):
    assert wiring["with"]["worker_url"] == wiring["with"]["app_url"]
    assert {"DATABASE_URL", "SECRET_KEY"} <= set(wiring["with"]["worker_env"])


def test_inventory_group_vars_all_override_a_stack_default(consumed):
    # flaskstack_db_port (stack default 5432) set in group_vars/all: the URL and the DB's port follow.
    assert ":6543/shop?" in show(consumed, "app1", "flaskstack_database_url")
    assert show(consumed, "db1", "postgres_port") == 6543


def test_a_var_in_the_inventory_file_beats_the_stack_default(consumed):
    # vars: of all in hosts.yml rank below group_vars files; the plugin yields to them anyway.
    assert show(consumed, "app1", "flaskstack_app_timeout") == 45
    assert show(consumed, "db1", "postgres_runtime_statement_timeout") == 40


def test_inventory_group_vars_of_a_role_group_override_that_groups_wiring(consumed):
    # flask_app_keepalive is 75 in the collection's role_app wiring.
    assert show(consumed, "app1", "flask_app_keepalive") == 99
    assert show(consumed, "app1", "flask_app_keepalive", inventory="inventories/lab") == 75


def test_app_source_is_the_project_app_relative_to_the_inventory(consumed):
    source = show(consumed, "app1", "flask_app_source", inventory="inventories/lab")
    assert Path(source).resolve() == (consumed["project"] / "app").resolve()
    text = (consumed["project"] / "inventories/staging/group_vars/all/20-app.yml").read_text()
    assert str(consumed["project"]) not in text  # relative, so CI's checkout works too


def test_scaffolded_ansible_cfg_loads_the_wiring_before_the_inventory(consumed):
    cfg = (consumed["project"] / "ansible.cfg").read_text()
    assert "vars_plugins_enabled = flaskstack.deploy.stack,host_group_vars" in cfg


def test_scaffold_writes_every_environment_and_the_project_files(consumed):
    project = consumed["project"]
    for env in ("lab", "staging", "production"):
        for group in ("all/10-" + env, "all/20-app", "role_app/10-" + env, "role_db/10-" + env, "role_web/10-" + env):
            assert (project / "inventories" / env / "group_vars" / f"{group}.yml").is_file(), (env, group)
        assert (project / "inventories" / env / "group_vars/all/vault.yml.example").is_file()
    for env in ("staging", "production"):
        ec2 = yaml.safe_load((project / "inventories" / env / "aws_ec2.yml").read_text())
        assert ec2["plugin"] == "amazon.aws.aws_ec2"
        assert ec2["filters"] == {"tag:Project": "shop", "tag:Environment": env, "instance-state-name": "running"}
    lab = yaml.safe_load((project / "inventories/lab/hosts.yml").read_text())
    assert set(lab["all"]["children"]) == {"role_db", "role_app", "role_web"}


def test_requirements_pin_the_collection(consumed):
    reqs = yaml.safe_load((consumed["project"] / "requirements.yml").read_text())
    assert reqs["collections"] == [{"name": str(consumed["tarball"]), "type": "file"}]


def test_requirements_without_a_tarball_pin_this_version(consumed, tmp_path):
    init(consumed["work"], consumed["boot"], "-e", f"project_dir={tmp_path / 'p'}", "-e", f"app_dir={APP}")
    reqs = yaml.safe_load((tmp_path / "p" / "requirements.yml").read_text())
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert reqs["collections"] == [{"name": "flaskstack.deploy", "version": f"=={version}"}]
    # An app outside the project is named by its path (and the play says CI needs it there).
    app_yml = yaml.safe_load((tmp_path / "p/inventories/lab/group_vars/all/20-app.yml").read_text())
    assert app_yml == {"flaskstack_app_name": "factory_app", "flaskstack_app_source": str(APP)}


def test_readme_has_the_five_commands(consumed):
    readme = (consumed["project"] / "README.md").read_text()
    for command in ("ansible-galaxy collection install -r requirements.yml", "ansible-vault encrypt",
                    "flaskstack.deploy.provision", "-i inventories/staging flaskstack.deploy.site",
                    "-i inventories/staging flaskstack.deploy.deploy"):
        assert command in readme, command


def test_ci_workflow_deploys_on_push_to_main_with_the_vault_password_from_secrets(consumed):
    text = (consumed["project"] / ".github/workflows/deploy.yml").read_text()
    workflow = yaml.safe_load(text)
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "${{ secrets.ANSIBLE_VAULT_PASSWORD }}" in text
    steps = workflow["jobs"]["deploy"]["steps"]
    assert any("ansible-galaxy collection install -r requirements.yml" in s.get("run", "") for s in steps)
    assert any("-i inventories/production" in s.get("run", "") and "ANSIBLE_VAULT_PASSWORD_FILE" in s.get("env", {})
               for s in steps)


def test_scaffolded_files_pass_yamllint_and_ansible_cfg_parses(consumed):
    run([str(Path(sys.executable).with_name("yamllint")), "--strict", "-c", str(ROOT / ".yamllint"),
         "requirements.yml", ".github", "inventories/lab", "inventories/staging", "inventories/production"],
        cwd=consumed["project"])
    cfg = configparser.ConfigParser()
    cfg.read(consumed["project"] / "ansible.cfg")
    assert cfg["defaults"]["inventory"] == "inventories/lab"


def test_scaffold_refuses_to_overwrite_and_names_the_files(consumed):
    project = consumed["project"]
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nmy notes\n")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "collections" not in p.parts}
    proc = init(consumed["work"], consumed["boot"], "-e", f"project_dir={project}", "-e", f"app_dir={project / 'app'}",
                check=False)
    assert proc.returncode != 0
    assert "already has ansible.cfg, requirements.yml, README.md" in proc.stdout
    assert "nothing was written" in proc.stdout and "-e force=true" in proc.stdout
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "collections" not in p.parts}
    assert after == before


def test_scaffold_force_overwrites(consumed, tmp_path):
    project = tmp_path / "p"
    args = ("-e", f"project_dir={project}", "-e", f"app_dir={APP}")
    init(consumed["work"], consumed["boot"], *args)
    (project / "ansible.cfg").write_text("[defaults]\n")
    init(consumed["work"], consumed["boot"], *args, "-e", "force=true")
    assert "flaskstack.deploy.stack" in (project / "ansible.cfg").read_text()


@pytest.mark.parametrize("args, message", [
    ((), "Missing: project_dir, app_dir."),
    (("-e", "project_dir=PROJECT"), "Missing: app_dir."),
    (("-e", "project_dir=PROJECT", "-e", "app_dir=NOAPP"), "does not exist"),
    (("-e", "project_dir=PROJECT", "-e", "app_dir=EMPTY"), "holds no pyproject.toml, requirements.txt"),
    (("-e", "project_dir=PROJECT", "-e", f"app_dir={APP}", "-e", "app_name=My-App"), "app_name 'My-App' cannot name"),
])
def test_scaffold_refuses_bad_input_naming_it(consumed, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    subst = {"PROJECT": str(tmp_path / "p"), "NOAPP": str(tmp_path / "nope"), "EMPTY": str(tmp_path / "empty")}
    args = tuple(a.replace(k, v) for a in args for k, v in [max(((k, v) for k, v in subst.items() if k in a),
                                                               default=("", ""))])
    proc = init(consumed["work"], consumed["boot"], *args, check=False)
    assert proc.returncode != 0
    assert message in proc.stdout
    assert not (tmp_path / "p").exists()
