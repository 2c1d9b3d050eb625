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
    assert not top & {"app_src", "molecule", "inventories", "group_vars", ".venv", ".cache", "tests", "bench"}


def test_checkout_resolves_its_own_fqcn(ansible_env):
    out = run(["ansible-galaxy", "collection", "list", "flaskstack.deploy"], env=ansible_env).stdout
    assert "flaskstack.deploy" in out and "0.1.0" in out
