#!/usr/bin/env python3
"""Turn bench/results/results.json into REPORT.md, serving.png and a summary table.

Run by bench/run.py; can be re-run alone: `.venv/bin/python bench/report.py`.
The chart needs matplotlib, installed on demand into .cache/bench-venv from
bench/requirements.txt (kept out of the controller toolchain).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BENCH_VENV = ROOT / ".cache" / "bench-venv"

LABELS = {
    "flask_dev": "(a) flask run --with-threads",
    "gunicorn_default": "(b) gunicorn defaults (1 sync worker)",
    "gunicorn_tuned": "(d) tuned gunicorn on app1, direct",
    "stack": "(c) stack: nginx → gunicorn on app1 + app2",
}
ORDER = ["flask_dev", "gunicorn_default", "gunicorn_tuned", "stack"]
SIZES = [("t3.micro", 1024), ("t3.small", 2048), ("t3.medium", 4096)]
OS_RESERVE_MIB = 300  # kernel, systemd, journald, sshd, agents on a minimal Debian EC2 host


def ratio(x: float, y: float) -> str:
    return f"{x / y:.2f}×" if y else "n/a"


def points(res: dict) -> dict:
    return {(p["target"], p["users"]): p for p in res.get("serving", {}).get("points", [])}


def serving_table(res: dict) -> list[str]:
    pts = points(res)
    users = sorted({u for _, u in pts})
    lines = [
        "| target | users | req/s | p50 ms | p95 ms | p99 ms | errors / requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for u in users:
        for t in ORDER:
            p = pts.get((t, u))
            if p:
                lines.append(
                    f"| {LABELS[t]} | {u} | {p['rps']:.1f} | {p['p50_ms']:.0f} | {p['p95_ms']:.0f} | {p['p99_ms']:.0f} "
                    f"| {p['errors']} / {p['requests']} |"
                )
    return lines


def serving_method(res: dict) -> list[str]:
    s, sv = res.get("settings", {}), res.get("serving", {})
    caps = sv.get("cpu_caps") or {}
    limits = " -e ".join(f"{k}={v}" for k, v in sv.get("limits", {}).items())
    lines = [
        f"locust, {s.get('duration_s')} s per point, all users spawned in {s.get('spawn_seconds')} s (the seed's "
        "200-users-in-4-s scenario), one load generator on 127.0.0.1 for every target. Users run "
        "`app_src/locustfile.py` signed in: "
        f"{sv.get('accounts', 'the')} accounts were signed up and in through the stack before the first point "
        "(not timed) and handed out with LOCUST_ACCOUNTS, because every sign-up or login costs one scrypt hash "
        "(~0.1 s of CPU) and a storm of them measures the hash, whatever serves it. The login task still runs at its "
        "weight (1 in 22 tasks); think time 0.5–2 s. The books the locust users created are deleted before each point.",
        "",
    ]
    if caps:
        lines += [
            "Each lab host is capped at a fixed CPU share during the points (`docker update --cpus`: "
            + ", ".join(f"{h} {c:g}" for h, c in caps.items())
            + ") so it behaves as an instance with its own CPU, as on EC2: the baselines (a), (b) and (d) run on app1 "
            "alone, the stack (c) on app1 + app2 behind web1, and the load generator keeps the rest of the machine "
            "instead of competing with the hosts it measures. (d) is the same tuned gunicorn as one app host of the "
            "stack, hit directly on app1: d against a and b is the tuning on one host; c against d is what nginx and "
            "the second app host add; the c−d p50 at the lowest load, where neither is saturated, is nginx's own cost.",
            "",
        ]
    urls = sv.get("urls") or {}
    if urls:
        lines += ["Targets: " + "; ".join(f"{LABELS[t]} `{u}`" for t, u in urls.items() if t in LABELS) + ".", ""]
    lines += [
        f"nginx's per-IP limits (every locust user comes from one address) were raised for the run with "
        f"`playbooks/web.yml -e {limits}` and put back by `playbooks/web.yml` without them at the end.",
    ]
    return lines


def ratio_table(res: dict) -> list[str]:
    pts = points(res)
    users = sorted({u for _, u in pts})
    lines = [
        "| users | c/a req/s | c/b req/s | a/c p50 | b/c p50 | a/c p95 | b/c p95 | c/d req/s | c−d p50 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for u in users:
        a, b, c, d = (pts.get((t, u)) for t in ("flask_dev", "gunicorn_default", "stack", "gunicorn_tuned"))
        if not c:
            continue
        lines.append(
            f"| {u} | {ratio(c['rps'], a['rps']) if a else 'n/a'} | {ratio(c['rps'], b['rps']) if b else 'n/a'} "
            f"| {ratio(a['p50_ms'], c['p50_ms']) if a else 'n/a'} | {ratio(b['p50_ms'], c['p50_ms']) if b else 'n/a'} "
            f"| {ratio(a['p95_ms'], c['p95_ms']) if a else 'n/a'} | {ratio(b['p95_ms'], c['p95_ms']) if b else 'n/a'} "
            f"| {ratio(c['rps'], d['rps']) if d else 'n/a'} | {(c['p50_ms'] - d['p50_ms']) if d else 'n/a':+.0f} |"
        )
    return lines


def failures(res: dict) -> list[str]:
    out = []
    for p in res.get("serving", {}).get("points", []):
        for f in p.get("failures", [])[:4]:
            out.append(f"- {LABELS[p['target']]} @ {p['users']} users: {f['count']}× {f['method']} {f['name']}: `{f['error']}`")
    return out


def play_table(conv: dict) -> list[str]:
    runs = [
        ("cold", "cold `site.yml`"),
        ("nochange", "no-change `site.yml` (pipelining + jsonfile fact cache)"),
        ("nochange_plain", "no-change `site.yml`, ANSIBLE_PIPELINING=0 ANSIBLE_CACHE_PLUGIN=memory"),
        ("release", "code-only release"),
        ("rollback", "rollback to the previous release (`playbooks/rollback.yml`)"),
    ]
    lines = ["| run | wall s | changed | per play (s) |", "| --- | ---: | ---: | --- |"]
    for key, label in runs:
        r = conv.get(key)
        if not r or "seconds" not in r:
            note = (r or {}).get("note") or (r or {}).get("error") or "not measured"
            lines.append(f"| {label} | – | – | {note} |")
            continue
        plays = ", ".join(f"{p['name']} {p['seconds']:.0f}" for p in r.get("plays", []))
        extra = ""
        if key == "cold" and r.get("source"):
            extra = f" ({r['note']})" if r.get("note") else f" ({r['source']})"
        if key == "release":
            extra = f" (`{r.get('command', '').split(' -i ')[0]}`)"
        lines.append(f"| {label}{extra} | {r['seconds']:.0f} | {r.get('changed', '–')} | {plays} |")
    a, b = conv.get("nochange"), conv.get("nochange_plain")
    if a and b and a.get("seconds"):
        lines.append("")
        lines.append(
            f"No-change re-run without pipelining and fact cache / with: **{ratio(b['seconds'], a['seconds'])}** "
            f"({b['seconds']:.0f} s vs {a['seconds']:.0f} s); changed={a['changed']} and {b['changed']}."
        )
    return lines


def setting_mib(value: str) -> float:
    """A PostgreSQL memory setting as shown by current_setting ('512MB', '8GB', '128kB') in MiB."""
    units = {"kB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1024 * 1024}
    for unit, factor in units.items():
        if value.endswith(unit):
            try:
                return float(value[: -len(unit)]) * factor
            except ValueError:
                return 0.0
    return 0.0


def fits(mib: float) -> str:
    ok = [name for name, ram in SIZES if mib + OS_RESERVE_MIB <= 0.8 * ram]
    return ok[0] if ok else "larger than t3.medium"


def memory_lines(res: dict) -> list[str]:
    mem = res.get("serving", {}).get("memory", [])
    if not mem:
        return ["not measured"]
    lines = [
        "| when | host | workers | RSS per worker MiB | gunicorn PSS MiB | host PSS MiB (all processes) | smallest fit |",
        "| --- | --- | ---: | --- | ---: | ---: | --- |",
    ]
    for snap in mem:
        for host in ("app1", "app2"):
            m = snap.get(host, {})
            if "error" in m or not m:
                lines.append(f"| {snap['label']} | {host} | – | {m.get('error', '')[:80]} | | | |")
                continue
            rss = m["worker_rss_mib"]
            span = f"{min(rss):.0f}–{max(rss):.0f}" if rss else "–"
            lines.append(
                f"| {snap['label']} | {host} | {m['workers']} | {span} (master {m['master_rss_mib']:.0f}) "
                f"| {m['gunicorn_pss_mib']:.0f} | {m['host_pss_mib']:.0f} | {fits(m['host_pss_mib'])} |"
            )
    lines.append("")
    lines.append(
        f"Smallest fit: host PSS + {OS_RESERVE_MIB} MiB for the OS within 80 % of the instance's RAM "
        "(t3.micro 1 GiB, t3.small 2 GiB, t3.medium 4 GiB). The bench's own baselines on app1 "
        "(units bench-*) are left out of every figure. PostgreSQL's memory settings are sized by the postgres role "
        "from `postgres_memory_mb` (the lab sets 2048, a t3.small; 0 = the host's RAM); its PSS counts only the "
        "shared pages actually touched, so the fit for PostgreSQL is judged by shared_buffers + PSS."
    )
    for snap in mem:
        db = snap.get("db1", {})
        if "settings" in db:
            s = db["settings"]
            lines.append(
                f"- PostgreSQL ({snap['label']}): shared_buffers {s.get('shared_buffers')}, "
                f"shared memory allocated {db.get('shmem_allocated_mib')} MiB, max_connections {s.get('max_connections')}, "
                f"{db['client_connections']} client connections, {db['processes']} processes, PSS {db['pss_mib']:.0f} MiB "
                f"→ smallest fit {fits(db['pss_mib'] + setting_mib(s.get('shared_buffers', '0')))} (shared_buffers + PSS)"
            )
        web = snap.get("web1", {})
        if "host_pss_mib" in web:
            lines.append(f"- nginx host web1 ({snap['label']}): PSS {web['host_pss_mib']:.0f} MiB → {fits(web['host_pss_mib'])}")
    return lines


def chart(res: dict) -> str | None:
    if not res.get("serving", {}).get("points"):
        return None
    py = BENCH_VENV / "bin" / "python"
    if not py.exists() or subprocess.run([str(py), "-c", "import matplotlib"], capture_output=True).returncode:
        print("[bench] installing matplotlib into .cache/bench-venv (bench/requirements.txt)", flush=True)
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        proc = subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "-r", str(BENCH / "requirements.txt")],
            capture_output=True, text=True,
        )
        if proc.returncode:
            print(proc.stderr[-1500:], file=sys.stderr)
            return None
    proc = subprocess.run([str(py), str(BENCH / "chart.py"), str(RESULTS / "results.json"), str(RESULTS / "serving.png")],
                          capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-1500:], file=sys.stderr)
        return None
    return "serving.png"


def main() -> int:
    res = json.loads((RESULTS / "results.json").read_text())
    png = chart(res)
    load = res.get("load_before", {})
    after = res.get("load_after_serving", {})
    s = res.get("settings", {})
    md = [
        "# Benchmark report",
        "",
        f"Run {res.get('started')} at commit `{res.get('commit')}`, `make bench` wall time **{res.get('seconds', 0) / 60:.1f} min**"
        + (f"; **error: {res['error']}**" if res.get("error") else "") + ".",
        "",
        f"Machine: {load.get('cpus')} CPUs for the whole lab and the load generator; load average before "
        f"{load.get('loadavg')}, after serving {after.get('loadavg', '–')}; {load.get('ansible_or_molecule_processes')} "
        "other ansible/molecule processes running at the start. Figures are only comparable within this run.",
        "",
        "## Serving",
        "",
        *serving_method(res),
        "",
        *serving_table(res),
        "",
        "Ratios (c = stack, a = flask dev server, b = gunicorn defaults, d = tuned gunicorn without nginx):",
        "",
        *ratio_table(res),
        "",
    ]
    if png:
        md += [f"![serving]({png})", ""]
    fl = failures(res)
    if fl:
        md += ["Errors seen:", "", *fl, ""]
    md += ["## Convergence", ""]
    if res.get("convergence_from"):
        md += [f"(From the run of {res['convergence_from']}: this run had BENCH_SKIP_CONVERGE=1.)", ""]
    md += [*play_table(res.get("convergence", {})), ""]
    rst = res.get("restore") or []
    for r in [rst] if isinstance(rst, dict) else rst:
        md += [f"Closing `{r['command'].split(' -i ')[0].removeprefix('ansible-playbook ')}` (puts back what the run changed): "
               f"{r['seconds']:.0f} s, changed={r['changed']}.", ""]
    md += ["## Memory", "", *memory_lines(res), ""]
    (RESULTS / "REPORT.md").write_text("\n".join(md) + "\n")

    print()
    print("\n".join(serving_table(res)))
    print()
    print("\n".join(ratio_table(res)))
    print()
    print("\n".join(play_table(res.get("convergence", {}))))
    print()
    print(f"report: {RESULTS.relative_to(ROOT)}/REPORT.md" + (f", chart: {RESULTS.relative_to(ROOT)}/{png}" if png else " (no chart)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
