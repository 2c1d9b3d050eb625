#!/usr/bin/env bash
# Generate the lab's secrets once: a random vault password (gitignored) and an
# ansible-vault encrypted file with fresh random secrets (gitignored), from the
# committed example's keys. Re-running keeps existing secrets, except that an app
# signing secret shorter than 43 characters (under 256 bits, which the app
# refuses in production) is replaced by a fresh one: that only invalidates the
# lab's bearer tokens. The next `make demo` (site.yml) rolls it out.
source "$(dirname "$0")/lib.sh"
dir="$ROOT/inventories/lab/group_vars/all"
pass="$ROOT/inventories/lab/.vault_pass"
vault="$dir/vault.yml"
if [ ! -s "$pass" ]; then
  (umask 077; "$ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$pass")
  say "generated the lab vault password in inventories/lab/.vault_pass"
fi
if [ ! -s "$vault" ]; then
  tmp=$(mktemp); chmod 600 "$tmp"
  "$ROOT/.venv/bin/python" - "$dir/vault.yml.example" >"$tmp" <<'PY'
import re, secrets, sys
for line in open(sys.argv[1]):
    m = re.match(r"^(vault_\w+):", line)
    print(f"{m.group(1)}: \"{secrets.token_urlsafe(36)}\"" if m else line.rstrip("\n"))
PY
  "$ROOT/.venv/bin/ansible-vault" encrypt --vault-password-file "$pass" --output "$vault" "$tmp" >/dev/null
  rm -f "$tmp"
  say "generated lab secrets in inventories/lab/group_vars/all/vault.yml (ansible-vault view --vault-password-file inventories/lab/.vault_pass ...)"
fi
if [ -s "$vault" ]; then
  tmp=$(mktemp); chmod 600 "$tmp"
  trap 'rm -f "$tmp"' EXIT
  "$ROOT/.venv/bin/ansible-vault" decrypt --vault-password-file "$pass" --output - "$vault" >"$tmp"
  replaced=$("$ROOT/.venv/bin/python" - "$tmp" <<'PY'
import re, secrets, sys
path, replaced, out = sys.argv[1], [], []
for line in open(path).read().splitlines():
    m = re.match(r"""^(vault_app_(?:jwt_)?secret_key):\s*["']?([^"'\s]*)["']?\s*$""", line)
    if m and len(m.group(2)) < 43:
        line = f"{m.group(1)}: \"{secrets.token_urlsafe(36)}\""
        replaced.append(m.group(1))
    out.append(line)
if replaced:
    open(path, "w").write("\n".join(out) + "\n")
print(" ".join(replaced))
PY
)
  if [ -n "$replaced" ]; then
    "$ROOT/.venv/bin/ansible-vault" encrypt --vault-password-file "$pass" --output "$vault" "$tmp" >/dev/null
    say "replaced lab secrets shorter than 43 characters (256 bits): $replaced; the next make demo rolls them out"
  fi
fi
