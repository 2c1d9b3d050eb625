#!/usr/bin/env python3
"""Refuse plaintext secrets in the repository (run by `make lint`).

Every file that git would commit (tracked, or untracked and not ignored) is
checked:

* a vault file — ``vault.yml`` / ``vault.yaml`` / ``vault*.yml`` / ``*.vault.yml``
  anywhere in the tree (``*.example`` templates excepted) — must be
  ansible-vault encrypted (its first line starts with ``$ANSIBLE_VAULT;``);
* a variables file under ``group_vars/`` or ``host_vars/`` must not give a
  ``vault_<name>`` variable a plaintext value (an inline ``!vault`` value is
  fine). A file of throwaway test secrets says so with a line
  ``# check_vaults: test-only secrets`` and is skipped (visible in review).

Exit status 1 lists each offending file with the fix; 0 prints one summary line.
Usage: check_vaults.py [REPO_DIR]   (default: the current directory)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

VAULT_HEADER = "$ANSIBLE_VAULT;"
TEST_ONLY_MARK = "# check_vaults: test-only secrets"
VAULT_NAME = re.compile(r"^(vault[^/]*|[^/]*\.vault)\.ya?ml$")
PLAINTEXT_VAULT_VAR = re.compile(r"^\s*vault_[A-Za-z0-9_]+\s*:\s*(?!\s*!vault\b)(?!\s*$)(?!\s*[|>]\s*$)\S")


def candidate_files(repo: Path) -> list[str]:
    """Paths git would commit: tracked plus untracked-not-ignored."""
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True, text=True,
    ).stdout
    return sorted({p for p in out.split("\0") if p})


def is_vault_file(path: str) -> bool:
    return bool(VAULT_NAME.match(PurePosixPath(path).name))


def is_vars_file(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.endswith((".yml", ".yaml")) and ("group_vars" in parts or "host_vars" in parts)


def problems(repo: Path) -> list[str]:
    found: list[str] = []
    for rel in candidate_files(repo):
        full = repo / rel
        if not full.is_file():
            continue  # deleted in the work tree
        text = full.read_text(encoding="utf-8", errors="replace")
        if is_vault_file(rel):
            if not text.startswith(VAULT_HEADER):
                found.append(f"{rel}: a vault file that is not encrypted — run "
                             f"'ansible-vault encrypt {rel}' (or move the plaintext to an ignored *.plain file)")
            continue
        if is_vars_file(rel) and not text.startswith(VAULT_HEADER) and TEST_ONLY_MARK not in text.splitlines():
            for number, line in enumerate(text.splitlines(), 1):
                if PLAINTEXT_VAULT_VAR.match(line):
                    name = line.split(":", 1)[0].strip()
                    found.append(f"{rel}:{number}: plaintext secret '{name}' — move it to an encrypted "
                                 f"vault.yml or encrypt the value with 'ansible-vault encrypt_string'")
    return found


def main(argv: list[str]) -> int:
    repo = Path(argv[1] if len(argv) > 1 else ".").resolve()
    found = problems(repo)
    if found:
        print("vault check: plaintext secrets would be committed:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("vault check: no plaintext vault file or vault_* value in the files git would commit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
