#!/usr/bin/env python3
"""BENCH_COLD=1: time a cold `site.yml` on a throw-away 4-container lab.

The shared lab is never touched: bench/cold-lab/hosts.yml names containers
flaskstack-bench-{db1,app1,app2,web1} on the docker network flaskstack-bench
(same groups and group_vars as inventories/lab), with its own fact cache. The
lab is created, converged once from scratch (timed, per play), and removed.
The controller's wheelhouse cache is shared (it is keyed by content), so the
wheel build is not part of the cold figure when it was built before.
Prints one JSON line (the last line of stdout) for bench/run.py.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402

INV = "bench/cold-lab"
NETWORK = "flaskstack-bench"
FACTS = bench.ROOT / ".cache" / "bench-cold-facts"


def lab(state: str) -> None:
    bench.run(
        ["ansible-playbook", "playbooks/lab.yml", "-i", INV, "-e", f"lab_state={state}", "-e", f"lab_network={NETWORK}"],
        timeout=900,
    )


def main() -> int:
    bench.LOGS.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(FACTS, ignore_errors=True)
    env = {"ANSIBLE_CACHE_PLUGIN_CONNECTION": str(FACTS)}
    bench.INVENTORY = INV
    result: dict = {"source": "BENCH_COLD=1, bench/cold-lab"}
    try:
        lab("absent")
        start = time.monotonic()
        lab("present")
        result["containers_s"] = round(time.monotonic() - start, 1)
        info = bench.playbook("cold-site", ["site.yml"], env, timeout=2400)
        result.update(info)
        result["cold"] = True
    except Exception as exc:  # noqa: BLE001
        result["error"] = str(exc)
    finally:
        try:
            lab("absent")
        except Exception as exc:  # noqa: BLE001
            result["cleanup_error"] = str(exc)
        shutil.rmtree(FACTS, ignore_errors=True)
    print(json.dumps(result))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
