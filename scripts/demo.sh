#!/usr/bin/env bash
# `make demo`: the whole stack on the local lab, then a smoke check through
# nginx, ending with one summary line. Re-running converges with zero changes.
# APP=<dir> (make demo APP=<dir>) deploys that app directory instead of the
# reference app (app_src/): its flaskstack.yml, when present, is its config.
source "$(dirname "$0")/lib.sh"
[ -z "${APP:-}" ] || APP="$(realpath -m -- "$APP")"   # relative to where make ran
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"
start=$(date +%s)
inventory=inventories/lab
log="$CACHE_DIR/demo-site.log"
app_args=()
if [ -n "${APP:-}" ]; then
  python3 scripts/demo_app_vars.py "$APP" "$CACHE_DIR/demo-app-vars.json" || die "APP=$APP cannot be deployed"
  app_args=(-e "@$CACHE_DIR/demo-app-vars.json")
  # the app's own config (declared secrets, env), then its source, which nothing overrides
  [ ! -f "$APP/flaskstack.yml" ] || app_args+=(-e "@$APP/flaskstack.yml")
  app_args+=(-e "flaskstack_app_source=$APP")
fi

scripts/lab-secrets.sh
export ANSIBLE_VAULT_PASSWORD_FILE="$ROOT/$inventory/.vault_pass"
say "lab up (4 systemd containers)"
ansible-playbook flaskstack.deploy.lab -i "$inventory"
say "ansible-playbook site.yml -i $inventory ${app_args[*]} (log: $log)"
ansible-playbook site.yml -i "$inventory" "${app_args[@]}" | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || die "site.yml failed (exit $rc): see $log"
changed=$(awk '/^PLAY RECAP/{r=1;next} r && /changed=/{for(i=1;i<=NF;i++) if($i ~ /^changed=/){split($i,a,"=");s+=a[2]}} END{print s+0}' "$log")
say "smoke check through nginx"
if [ -n "${APP:-}" ]; then
  python3 scripts/demo_smoke.py --any-app http://127.0.0.1:8080 || die "smoke check failed"
else
  python3 scripts/demo_smoke.py http://127.0.0.1:8080 || die "smoke check failed"
fi
elapsed=$(( $(date +%s) - start ))
if [ "$changed" = 0 ]; then what="zero changes (already converged)"; else what="$changed changes"; fi
echo "demo: stack up at http://127.0.0.1:8080 (and https://localhost:8443, self-signed) — site.yml: $what; ${elapsed}s. Tear down: make demo-down"
