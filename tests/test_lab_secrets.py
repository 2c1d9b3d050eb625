"""scripts/lab-secrets.sh: generated app signing secrets meet the app's 256-bit rule.

Runs the script in a scratch copy of the checkout's layout (scripts/, the lab's
vault example, a link to the toolchain), never on the checkout's own lab vault.
"""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import ROOT, run

VAULT_DIR = "inventories/lab/group_vars/all"
SIGNING = ("vault_app_secret_key", "vault_app_jwt_secret_key")


@pytest.fixture
def checkout(tmp_path):
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    (tmp_path / VAULT_DIR).mkdir(parents=True)
    shutil.copy(ROOT / VAULT_DIR / "vault.yml.example", tmp_path / VAULT_DIR)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def lab_secrets(checkout) -> str:
    return run(["bash", str(checkout / "scripts/lab-secrets.sh")], cwd=checkout, timeout=120).stdout


def vault(checkout, *args: str) -> str:
    return run([str(ROOT / ".venv/bin/ansible-vault"), *args, "--vault-password-file",
                str(checkout / "inventories/lab/.vault_pass")], cwd=checkout, timeout=120).stdout


def secrets_in(checkout) -> dict[str, str]:
    text = vault(checkout, "view", str(checkout / VAULT_DIR / "vault.yml"))
    return dict(re.findall(r'^(vault_\w+): "([^"]*)"$', text, flags=re.M))


def test_generated_signing_secrets_have_at_least_43_characters(checkout):
    lab_secrets(checkout)
    generated = secrets_in(checkout)
    assert set(SIGNING) <= set(generated)
    assert all(len(generated[name]) >= 43 for name in SIGNING), "under 256 bits"


def test_short_signing_secrets_of_an_existing_vault_are_replaced_others_kept(checkout):
    lab_secrets(checkout)
    old = secrets_in(checkout)
    plain = checkout / "plain.yml"
    plain.write_text("".join(f'{name}: "{value}"\n' for name, value in
                             {**old, "vault_app_jwt_secret_key": "x" * 32}.items()))
    vault(checkout, "encrypt", "--output", str(checkout / VAULT_DIR / "vault.yml"), str(plain))

    output = lab_secrets(checkout)
    assert "vault_app_jwt_secret_key" in output and "x" * 32 not in output
    new = secrets_in(checkout)
    assert len(new["vault_app_jwt_secret_key"]) >= 43
    assert {k: v for k, v in new.items() if k != "vault_app_jwt_secret_key"} == \
        {k: v for k, v in old.items() if k != "vault_app_jwt_secret_key"}

    lab_secrets(checkout)  # nothing short left: a re-run changes nothing
    assert secrets_in(checkout) == new
