"""scripts/check_vaults.py (run by `make lint`) refuses plaintext vaults that git would commit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run

CHECK = ROOT / "scripts" / "check_vaults.py"
ENCRYPTED = "$ANSIBLE_VAULT;1.1;AES256\n6162636465660a\n"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repo with the project's .gitignore and an encrypted staging vault."""
    run(["git", "init", "-q", str(tmp_path)])
    (tmp_path / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    vault = tmp_path / "inventories/aws/staging/group_vars/all/vault.yml"
    vault.parent.mkdir(parents=True)
    vault.write_text(ENCRYPTED)
    (vault.parent / "vault.yml.example").write_text("vault_db_app_password: change-me\n")
    return tmp_path


def check(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), str(repo)], capture_output=True, text=True)


def test_encrypted_vaults_and_examples_pass(repo: Path) -> None:
    result = check(repo)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["vault.yml", "vault-prod.yml", "secrets.vault.yml"])
def test_plaintext_vault_file_fails_naming_it_and_the_fix(repo: Path, name: str) -> None:
    path = repo / "inventories/aws/production/group_vars/all" / name
    path.parent.mkdir(parents=True)
    path.write_text("vault_db_app_password: hunter2\n")
    result = check(repo)
    assert result.returncode == 1
    assert f"inventories/aws/production/group_vars/all/{name}" in result.stderr
    assert "ansible-vault encrypt" in result.stderr


def test_committed_plaintext_vault_fails_even_when_ignored(repo: Path) -> None:
    """The lab's vault.yml is ignored; force-adding a plaintext copy is still caught."""
    path = repo / "inventories/lab/group_vars/all/vault.yml"
    path.parent.mkdir(parents=True)
    path.write_text("vault_app_secret_key: plain\n")
    run(["git", "-C", str(repo), "add", "-f", str(path)])
    assert check(repo).returncode == 1


def test_plaintext_vault_variable_in_group_vars_fails(repo: Path) -> None:
    path = repo / "inventories/aws/staging/group_vars/all/10-staging.yml"
    path.write_text("flaskstack_environment: staging\nvault_app_secret_key: 'oops'\n")
    result = check(repo)
    assert result.returncode == 1
    assert "10-staging.yml:2" in result.stderr and "vault_app_secret_key" in result.stderr


def test_inline_vault_value_and_test_fixture_marker_pass(repo: Path) -> None:
    vars_dir = repo / "inventories/aws/staging/group_vars/all"
    (vars_dir / "10-staging.yml").write_text(
        "vault_app_secret_key: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n")
    fixture = repo / "molecule/stack/group_vars/all/10-stack.yml"
    fixture.parent.mkdir(parents=True)
    fixture.write_text("# check_vaults: test-only secrets\nvault_app_secret_key: throwaway\n")
    result = check(repo)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", [".vault_pass", "vault.yml.plain", "vault.plain.yml", "vault.yml.dec",
                                  "vault.yml.decrypted", "vault.yml.bak"])
def test_plaintext_variants_are_ignored_by_git(repo: Path, name: str) -> None:
    path = repo / "inventories/aws/production/group_vars/all" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("vault_db_app_password: hunter2\n")
    ignored = subprocess.run(["git", "-C", str(repo), "check-ignore", "-q", str(path)])
    assert ignored.returncode == 0, f"{name} is not ignored by .gitignore"


def test_this_repository_passes() -> None:
    result = check(ROOT)
    assert result.returncode == 0, result.stderr
