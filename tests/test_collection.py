"""The checkout is a buildable collection that ships only collection content."""

from __future__ import annotations

import tarfile

import yaml

from conftest import ROOT, run

BUNDLED = {"amazon.aws", "community.postgresql", "community.general", "ansible.posix",
           "community.crypto", "community.docker"}


def test_galaxy_metadata_names_the_collection():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert (galaxy["namespace"], galaxy["name"]) == ("flaskstack", "deploy")
    assert set(galaxy["dependencies"]) == BUNDLED
    assert all("<" in rng and ">=" in rng for rng in galaxy["dependencies"].values())


def test_requirements_yml_matches_galaxy_dependencies():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    reqs = {c["name"]: c["version"] for c in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]}
    assert reqs == galaxy["dependencies"]


def test_built_tarball_holds_only_collection_content(tmp_path, ansible_env):
    run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path), str(ROOT)], env=ansible_env)
    (tarball,) = tmp_path.glob("flaskstack-deploy-*.tar.gz")
    names = tarfile.open(tarball).getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    top = {n.split("/")[0] for n in names}
    assert not top & {"app_src", "molecule", "inventories", ".venv", ".cache", "tests", "bench"}
    # The stack wiring travels inside (loaded by the vars plugin flaskstack.deploy.stack).
    assert {"group_vars/all.yml", "group_vars/role_app.yml", "plugins/vars/stack.py"} <= set(names)


def test_checkout_enables_the_stack_vars_plugin_before_host_group_vars():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "ansible.cfg")
    assert cfg["defaults"]["vars_plugins_enabled"] == "flaskstack.deploy.stack,host_group_vars"


def test_inventories_do_not_copy_or_link_the_stack_wiring():
    # One source: group_vars/*.yml, loaded by the plugin; no 00-stack-defaults links left behind.
    assert not list((ROOT / "inventories").rglob("00-stack-defaults.yml"))


def test_reference_app_source_is_set_by_the_reference_app_not_the_collection():
    stack = yaml.safe_load((ROOT / "group_vars" / "all.yml").read_text())
    assert stack["flaskstack_app_source"] == ""
    assert "app_src" in yaml.safe_load((ROOT / "app_src" / "flaskstack.yml").read_text())["flaskstack_app_source"]


def test_docs_carry_no_absolute_path_of_one_machine():
    docs = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "roles").glob("*/README.md"),
            *(ROOT / "playbooks" / "templates" / "init").glob("*.j2")]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in docs
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if "/work/" in line or "/root/" in line or "/home/" in line]
    assert not offenders


def test_checkout_resolves_its_own_fqcn(ansible_env):
    out = run(["ansible-galaxy", "collection", "list", "flaskstack.deploy"], env=ansible_env).stdout
    assert "flaskstack.deploy" in out and "0.1.0" in out
