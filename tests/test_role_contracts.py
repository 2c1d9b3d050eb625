"""Every role keeps the conventions' contract: argument_specs, defaults and README agree."""

from __future__ import annotations

import pytest
import yaml

from conftest import ROOT, roles

ROLES = roles()


def _defaults(role: str) -> dict:
    path = ROOT / "roles" / role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def _spec_options(role: str) -> dict:
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"].get("options") or {}


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_cover_exactly_the_defaults(role):
    defaults, options = set(_defaults(role)), set(_spec_options(role))
    assert defaults - options == set(), f"defaults missing from argument_specs: {sorted(defaults - options)}"
    undocumented_defaults = {o for o, v in _spec_options(role).items() if not v.get("required")} - defaults
    assert undocumented_defaults == set(), f"optional options without a default: {sorted(undocumented_defaults)}"


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_carry_the_role_prefix(role):
    bad = [name for name in _spec_options(role) if not name.startswith(f"{role}_")]
    assert bad == []


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_a_type_and_description(role):
    bad = [name for name, o in _spec_options(role).items() if "type" not in o or not o.get("description")]
    assert bad == []


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_every_option(role):
    readme = (ROOT / "roles" / role / "README.md").read_text()
    missing = [name for name in _spec_options(role) if f"`{name}`" not in readme]
    assert missing == [], f"README of {role} does not mention: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_role_has_a_molecule_scenario(role):
    assert (ROOT / "molecule" / role / "molecule.yml").is_file()
