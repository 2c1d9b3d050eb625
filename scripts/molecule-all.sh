#!/usr/bin/env bash
# Run `molecule test` for every scenario (or those named), MOLECULE_JOBS at a
# time, one log per scenario; print a summary and the failed logs' tails.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
jobs=${MOLECULE_JOBS:-2}
logs="$CACHE_DIR/molecule-logs"
mkdir -p "$logs"
if [ $# -gt 0 ]; then scenarios=("$@"); else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
say "molecule: ${#scenarios[@]} scenarios (${scenarios[*]}), $jobs at a time; logs in $logs"

run_one() {
  local s=$1 t0 rc
  t0=$(date +%s)
  molecule test -s "$s" >"$CACHE_DIR/molecule-logs/$s.log" 2>&1; rc=$?
  printf '%s %s %s\n' "$s" "$rc" "$(( $(date +%s) - t0 ))" >>"$CACHE_DIR/molecule-logs/results"
  printf '==> molecule %-10s %s in %ss\n' "$s" "$([ $rc = 0 ] && echo passed || echo FAILED)" "$(( $(date +%s) - t0 ))"
}
export -f run_one
export CACHE_DIR
: >"$logs/results"
# Longest first (measured on a 2-core machine: stack ≈ 16 min, flask_app ≈ 10,
# postgres ≈ 10, nginx ≈ 7, os_updates ≈ 6, redis ≈ 4, logrotate ≈ 3,
# os_hardening ≈ 3, smoke ≈ 1), in one pool of $jobs slots: the four-host stack
# scenario shares the machine with one role scenario at a time instead of
# running alone after all of them, so no slot idles while one long scenario
# finishes. Scenarios not in the list run last, in name order.
longest_first=(stack flask_app postgres nginx os_updates redis logrotate os_hardening smoke)
ordered=()
for s in "${longest_first[@]}"; do [[ " ${scenarios[*]} " == *" $s "* ]] && ordered+=("$s"); done
for s in "${scenarios[@]}"; do [[ " ${longest_first[*]} " == *" $s "* ]] || ordered+=("$s"); done
printf '%s\n' "${ordered[@]}" | xargs -r -P "$jobs" -I{} bash -c 'run_one {}'

passed=$(awk '$2==0' "$logs/results" | wc -l)
failed=$(awk '$2!=0' "$logs/results" | wc -l)
for s in $(awk '$2!=0{print $1}' "$logs/results"); do
  printf '\n----- tail of %s -----\n' "$logs/$s.log"; tail -n 60 "$logs/$s.log"
  # The recap above names the failed step, not the failed test: the verifier's own lines do.
  printf '\n----- failed tests and assertions in %s -----\n' "$s"
  plain=$(sed -E 's/\x1b\[[0-9;]*m//g; s/^ *│ ?//' "$logs/$s.log")
  grep -E '^E  |fatal: \[|^_{5,} ' <<<"$plain" | head -n 60
  grep -E '^(FAILED|ERROR) ' <<<"$plain" | head -n 20
done
echo "molecule: $passed passed, $failed failed"
[ "$failed" = 0 ]
