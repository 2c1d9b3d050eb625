#!/usr/bin/env python3
"""`make bench`: the stack measured side by side with its baselines, in one run.

Steps (each one timed, all traffic on 127.0.0.1 or between the lab's containers):

1. lab: the local lab answers and app1 publishes the bench ports; otherwise `make demo`.
2. convergence: no-change `site.yml` (pipelining + jsonfile fact cache, as in
   ansible.cfg), the same without (ANSIBLE_PIPELINING=0, ANSIBLE_CACHE_PLUGIN=memory),
   a code-only release (playbooks/deploy.yml with a new release id) and the
   rollback to the inventory's release (playbooks/rollback.yml); per-play times
   from profile_tasks. The cold `site.yml` is read from the last `make demo` log,
   or measured on a separate throw-away lab with BENCH_COLD=1 (bench/cold.py).
3. serving: nginx's per-IP limits raised through role variables (web.yml -e),
   baselines started on app1 with systemd-run from the deployed release's venv and
   env file, max(BENCH_USERS) locust accounts signed up and in (not timed), each
   lab host capped at its CPU share (BENCH_CPUS), locust headless (the app's
   locustfile, signed-in users) at 50 and 200 users against each target, the
   locust users' books removed before every point; memory sampled idle and under
   load; caps lifted and baselines stopped afterwards, also after a failure.
4. restore: `playbooks/web.yml` without extra vars (nginx's limits back); a full
   `site.yml` instead when the release was not rolled back.
5. report: bench/results/REPORT.md, results.json, serving.png, and a summary table.

Environment knobs: BENCH_DURATION (s per point, default 25), BENCH_USERS
("50,200"), BENCH_CPUS ("app1=0.5,app2=0.5,db1=0.4,web1=0.2"; "off" = none),
BENCH_SKIP_CONVERGE=1, BENCH_SKIP_SERVE=1, BENCH_COLD=1.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
RAW = RESULTS / "raw"
INVENTORY = "inventories/lab"
VAULT_PASS = ROOT / INVENTORY / ".vault_pass"
BENCH_VENV = ROOT / ".cache" / "bench-venv"

DURATION = int(os.environ.get("BENCH_DURATION", "25"))
USERS = [int(u) for u in os.environ.get("BENCH_USERS", "50,200").split(",") if u.strip()]
SPAWN_SECONDS = 4  # the seed's failing scenario: 200 users up in 4 s
SKIP_CONVERGE = os.environ.get("BENCH_SKIP_CONVERGE") == "1"
SKIP_SERVE = os.environ.get("BENCH_SKIP_SERVE") == "1"
COLD = os.environ.get("BENCH_COLD") == "1"
# CPU cap of each lab host during the serving points (docker update --cpus), so
# that every host is an instance with its own CPU, as on EC2: two app hosts have
# twice one host's CPU, and the load generator (locust, on the same 2-core
# machine) keeps what the hosts leave. "" or "off" = no caps.
CPU_CAPS_DEFAULT = "app1=0.5,app2=0.5,db1=0.4,web1=0.2"


def parse_caps(raw: str) -> dict[str, float]:
    if raw.strip().lower() in ("", "off", "none"):
        return {}
    caps = {}
    for item in raw.split(","):
        host, sep, value = item.partition("=")
        try:
            cpus = float(value)
        except ValueError:
            cpus = -1.0
        if not sep or not host.strip() or not 0 < cpus <= (os.cpu_count() or 1):
            raise SystemExit(f"BENCH_CPUS={raw!r}: expected host=cpus,... with 0 < cpus <= {os.cpu_count()}, got {item!r}")
        caps[host.strip()] = cpus
    return caps


CPU_CAPS = parse_caps(os.environ.get("BENCH_CPUS", CPU_CAPS_DEFAULT))

# Baselines on app1, each on its own port, published on 127.0.0.1 (inventories/lab/hosts.yml).
PORTS = {"flask_dev": 18001, "gunicorn_default": 18002, "gunicorn_tuned": 18003}
# nginx's per-client-IP limits for the run: every locust user comes from one address.
# (nginx refuses a connection limit of 65536 or more.)
NGINX_BENCH_LIMITS = {
    "nginx_limit_req_rate": "10000r/s",
    "nginx_limit_req_burst": 10000,
    "nginx_limit_conn_per_ip": 10000,
}
APP = "bookshelf"
LOCUST_EMAILS = "locust-%@bookshelf.test"

ENV = dict(os.environ)
ENV.update(
    PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
    ANSIBLE_VAULT_PASSWORD_FILE=str(VAULT_PASS),
    ANSIBLE_FORCE_COLOR="0",
    PYTHONUNBUFFERED="1",
)


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, *, check=True, timeout=600, capture=True, env=None, input_=None):
    """Run a command (list), return CompletedProcess; text mode."""
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env or ENV,
        text=True,
        input=input_,
        capture_output=capture,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def containers() -> dict[str, str]:
    """Inventory host -> container name, from the lab inventory."""
    data = yaml.safe_load((ROOT / INVENTORY / "hosts.yml").read_text())
    out = {}

    def walk(group):
        for host, hv in (group.get("hosts") or {}).items():
            out[host] = (hv or {}).get("ansible_host", host)
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(data["all"])
    return out


CT = containers()


def dexec(host: str, script: str, *, check=True, timeout=120, input_=None):
    return run(["docker", "exec", "-i", CT[host], "sh", "-c", script], check=check, timeout=timeout, input_=input_)


def curl_status(url: str, cafile: str | None = None) -> int:
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10", url]
    if cafile:
        cmd[1:1] = ["--cacert", cafile]
    proc = run(cmd, check=False, timeout=20)
    try:
        return int(proc.stdout.strip() or 0)
    except ValueError:
        return 0


# --------------------------------------------------------------------------- ansible runs

PLAY_RE = re.compile(r"^PLAY \[(.*)\] \*+")
PROFILE_RE = re.compile(r"\((\d+):(\d+):([\d.]+)\)\s+(\d+):(\d+):([\d.]+) \*+\s*$", re.M)
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def hms(h, m, s) -> float:
    return int(h) * 3600 + int(m) * 60 + float(s)


def parse_playbook_log(text: str, wall: float) -> dict:
    """Per-play seconds (profile_tasks' cumulative clock at each task start), recap totals."""
    plays: list[list] = []  # [name, first_elapsed]
    pending = None
    for line in text.splitlines():
        m = PLAY_RE.match(line)
        if m:
            pending = m.group(1)
            continue
        m = PROFILE_RE.search(line)
        if m and pending is not None:
            plays.append([pending, hms(*m.groups()[3:])])
            pending = None
    per_play: dict[str, float] = {}
    order: list[str] = []
    for i, (name, start) in enumerate(plays):
        end = plays[i + 1][1] if i + 1 < len(plays) else wall
        if name not in per_play:
            order.append(name)
            per_play[name] = 0.0
        per_play[name] += max(0.0, end - start)
    recap = {}
    for line in text.splitlines():
        m = RECAP_RE.match(line)
        if m:
            recap[m.group(1)] = {
                "ok": int(m.group(2)),
                "changed": int(m.group(3)),
                "unreachable": int(m.group(4)),
                "failed": int(m.group(5)),
            }
    return {
        "plays": [{"name": n, "seconds": round(per_play[n], 1)} for n in order],
        "recap": recap,
        "changed": sum(h["changed"] for h in recap.values()),
        "failed": sum(h["failed"] + h["unreachable"] for h in recap.values()),
    }


def playbook(label: str, args: list[str], extra_env: dict | None = None, timeout: int = 1500) -> dict:
    env = dict(ENV)
    env.update(extra_env or {})
    log = LOGS / f"{label}.log"
    cmd = ["ansible-playbook", *args, "-i", INVENTORY]
    say(f"{label}: {shlex.join(cmd)} {' '.join(f'{k}={v}' for k, v in (extra_env or {}).items())} (log: {log.relative_to(ROOT)})")
    start = time.monotonic()
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    wall = time.monotonic() - start
    info = parse_playbook_log(log.read_text(errors="replace"), wall)
    info.update(label=label, command=shlex.join(cmd), env=extra_env or {}, rc=proc.returncode, seconds=round(wall, 1))
    say(f"{label}: rc={proc.returncode} {wall:.0f}s changed={info['changed']} failed={info['failed']}")
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed (exit {proc.returncode}): see {log}")
    return info


def cold_from_demo_log() -> dict:
    log = ROOT / ".cache" / "demo-site.log"
    if not log.exists():
        return {"source": "none", "note": "no .cache/demo-site.log; run with BENCH_COLD=1"}
    text = log.read_text(errors="replace")
    # profile_tasks prints one clock line after PLAY RECAP: the playbook's total.
    totals = PROFILE_RE.findall(text)
    wall = hms(*totals[-1][3:]) if totals else 0.0
    info = parse_playbook_log(text, wall)
    info.update(source=str(log.relative_to(ROOT)), seconds=round(wall, 1), mtime=datetime.fromtimestamp(log.stat().st_mtime, timezone.utc).isoformat(timespec="seconds"))
    # The demo log is only as cold as the lab was: fully cold on a new lab,
    # partly when some hosts were already converged. BENCH_COLD=1 is always cold.
    info["cold"] = info["changed"] > 0
    info["note"] = (f"last `make demo`, changed={info['changed']}: cold only for what the lab lacked; "
                    "BENCH_COLD=1 measures a fully cold run")
    return info


def convergence() -> dict:
    out: dict = {}
    if COLD:
        say("cold site.yml on a throw-away lab (bench/cold.py)")
        proc = run([sys.executable, str(BENCH / "cold.py")], check=False, timeout=3000, capture=True)
        (LOGS / "cold.out").write_text(proc.stdout + proc.stderr)
        try:
            out["cold"] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            out["cold"] = {"source": "bench/cold.py", "error": f"exit {proc.returncode}, see logs/cold.out"}
    else:
        out["cold"] = cold_from_demo_log()
    nochange = playbook("site-nochange", ["site.yml"])
    if nochange["changed"]:
        say("the lab was not converged: one more no-change run")
        nochange = playbook("site-nochange-2", ["site.yml"])
    out["nochange"] = nochange
    out["nochange_plain"] = playbook(
        "site-nochange-no-pipelining-no-cache",
        ["site.yml"],
        {"ANSIBLE_PIPELINING": "0", "ANSIBLE_CACHE_PLUGIN": "memory"},
    )
    release = "bench-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    # The rolling deploy playbook once it is committed; else the app tier alone.
    tracked = run(["git", "ls-files", "--error-unmatch", "playbooks/deploy.yml"], check=False).returncode == 0
    if tracked:
        args = ["playbooks/deploy.yml", "-e", f"release_id={release}"]
    else:
        args = ["playbooks/app.yml", "-e", f"flask_app_release_id={release}"]
    out["release"] = playbook("release", args)
    out["release"]["release_id"] = release
    if tracked:
        # Back to the inventory's release in one command (also what the rest of the run serves).
        out["rollback"] = playbook("rollback", ["playbooks/rollback.yml"])
    return out


# --------------------------------------------------------------------------- memory

MEMSCRIPT = r"""
import json, os, sys
out = []
for pid in os.listdir('/proc'):
    if not pid.isdigit():
        continue
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as fh:
            cmd = fh.read().replace(b'\0', b' ').decode(errors='replace').strip()
        with open(f'/proc/{pid}/stat') as fh:
            ppid = int(fh.read().rsplit(')', 1)[1].split()[1])
        with open(f'/proc/{pid}/cgroup') as fh:
            if 'bench-' in fh.read():
                continue  # the bench's own baselines are not part of the host
        vals = {}
        with open(f'/proc/{pid}/smaps_rollup') as fh:
            for line in fh:
                parts = line.split()
                if parts[0] in ('Rss:', 'Pss:'):
                    vals[parts[0][:-1].lower()] = int(parts[1])
    except (OSError, ValueError, IndexError):
        continue
    if cmd:
        out.append({'pid': int(pid), 'ppid': ppid, 'cmd': cmd[:160], **vals})
print(json.dumps(out))
"""


def procs(host: str) -> list[dict]:
    proc = run(["docker", "exec", "-i", CT[host], "python3", "-"], input_=MEMSCRIPT, timeout=60)
    return json.loads(proc.stdout)


def main_pid(host: str, unit: str) -> int:
    return int(dexec(host, f"systemctl show -p MainPID --value {unit}").stdout.strip() or 0)


def app_memory(host: str) -> dict:
    ps = procs(host)
    master = main_pid(host, f"{APP}.service")
    workers = [p for p in ps if p["ppid"] == master]
    masters = [p for p in ps if p["pid"] == master]
    mib = 1024.0
    return {
        "workers": len(workers),
        "worker_rss_mib": [round(p.get("rss", 0) / mib, 1) for p in workers],
        "worker_pss_mib": [round(p.get("pss", 0) / mib, 1) for p in workers],
        "master_rss_mib": round(sum(p.get("rss", 0) for p in masters) / mib, 1),
        "gunicorn_pss_mib": round(sum(p.get("pss", 0) for p in workers + masters) / mib, 1),
        "host_pss_mib": round(sum(p.get("pss", 0) for p in ps) / mib, 1),
        "host_rss_mib": round(sum(p.get("rss", 0) for p in ps) / mib, 1),
    }


def psql(sql: str) -> str:
    return dexec(
        "db1",
        f"cd /tmp && runuser -u postgres -- psql -X -At -d {APP} -c {shlex.quote(sql)}",
        timeout=120,
    ).stdout.strip()


def db_memory() -> dict:
    settings = dict(
        line.split("|", 1)
        for line in psql(
            "select name, current_setting(name) from pg_settings where name in "
            "('shared_buffers','max_connections','work_mem','effective_cache_size','superuser_reserved_connections')"
        ).splitlines()
    )
    ps = [p for p in procs("db1") if "postgres" in p["cmd"]]
    shm = dexec("db1", "cd /tmp && runuser -u postgres -- psql -X -At -c \"select coalesce(sum(allocated_size),0) from pg_shmem_allocations\"", check=False).stdout.strip()
    conns = psql("select count(*) from pg_stat_activity where backend_type = 'client backend'")
    return {
        "settings": settings,
        "shmem_allocated_mib": round(int(shm or 0) / 1048576, 1) if shm.isdigit() else None,
        "processes": len(ps),
        "pss_mib": round(sum(p.get("pss", 0) for p in ps) / 1024.0, 1),
        "client_connections": int(conns or 0),
    }


def memory_snapshot(label: str) -> dict:
    snap = {"label": label, "at": time.strftime("%H:%M:%S")}
    for host in ("app1", "app2"):
        try:
            snap[host] = app_memory(host)
        except Exception as exc:  # noqa: BLE001 - a sample must never stop the run
            snap[host] = {"error": str(exc)}
    try:
        snap["db1"] = db_memory()
    except Exception as exc:  # noqa: BLE001
        snap["db1"] = {"error": str(exc)}
    try:
        snap["web1"] = {"host_pss_mib": round(sum(p.get("pss", 0) for p in procs("web1")) / 1024.0, 1)}
    except Exception as exc:  # noqa: BLE001
        snap["web1"] = {"error": str(exc)}
    return snap


# --------------------------------------------------------------------------- serving

def app1_address() -> str:
    return dexec("app1", "hostname -I").stdout.split()[0]


def published(port: int) -> bool:
    return run(["docker", "port", CT["app1"], f"{port}/tcp"], check=False).returncode == 0


def tuned_config() -> tuple[int, int]:
    """Workers and threads of the role's gunicorn config on app1."""
    conf = dexec("app1", f"cat /etc/{APP}/gunicorn.conf.py").stdout
    workers = int(re.search(r"^workers = (\d+)", conf, re.M).group(1))
    threads = int(re.search(r"^threads = (\d+)", conf, re.M).group(1))
    return workers, threads


def start_baselines(addr: str) -> dict:
    workers, threads = tuned_config()
    venv = f"/srv/{APP}/current/venv/bin"
    common = [
        "systemd-run", "--quiet", "--collect",
        "-p", f"User={APP}", "-p", f"Group={APP}",
        "-p", f"EnvironmentFile=/etc/{APP}/{APP}.env",
        "-p", f"EnvironmentFile=/srv/{APP}/current/release.env",
        "-p", f"WorkingDirectory=/srv/{APP}/shared",
        "--setenv=PYTHONUNBUFFERED=1",
    ]
    units = {
        # (a) the seed's baseline: Flask's development server, threaded.
        "flask_dev": [f"{venv}/flask", "--app", f"{APP}.wsgi", "run", "--with-threads",
                      "--host", addr, "--port", str(PORTS["flask_dev"])],
        # (b) gunicorn with its defaults: one sync worker (no config file in the cwd).
        "gunicorn_default": [f"{venv}/gunicorn", "--bind", f"{addr}:{PORTS['gunicorn_default']}",
                             f"{APP}.wsgi:application"],
        # (d) the tuned configuration the role wrote for app1, hit without
        # nginx, on the same host (and CPU cap) as (a) and (b).
        "gunicorn_tuned": [f"{venv}/gunicorn", "--config", f"/etc/{APP}/gunicorn.conf.py",
                           "--bind", f"{addr}:{PORTS['gunicorn_tuned']}", "--name", "bench-tuned"],
    }
    stop_baselines()
    for name, argv in units.items():
        cmd = [*common, f"--unit=bench-{name.replace('_', '-')}", *argv]
        dexec("app1", shlex.join(cmd))
    deadline = time.monotonic() + 90
    for name in units:
        url = f"http://127.0.0.1:{PORTS[name]}/healthz"
        while curl_status(url) != 200:
            if time.monotonic() > deadline:
                log = dexec("app1", f"journalctl -u bench-{name.replace('_', '-')} -n 20 --no-pager", check=False).stdout
                raise RuntimeError(f"baseline {name} did not answer {url}:\n{log}")
            time.sleep(1)
    say(f"baselines up on app1 {addr}: flask dev :{PORTS['flask_dev']}, gunicorn defaults :{PORTS['gunicorn_default']}, "
        f"tuned gunicorn ({workers} workers x {threads} threads) :{PORTS['gunicorn_tuned']}")
    return {"tuned_direct_workers": workers, "tuned_threads": threads}


def stop_baselines() -> None:
    names = " ".join(f"bench-{n.replace('_', '-')}.service" for n in PORTS)
    dexec("app1", f"systemctl stop {names} 2>/dev/null; systemctl reset-failed {names} 2>/dev/null; true", check=False)


def set_cpu_caps(caps: dict[str, float]) -> None:
    """docker update --cpus on each lab container, in place (no restart).

    {} lifts the caps: docker cannot take a NanoCpus limit back (--cpus 0 is
    ignored once set), so "no cap" is a cap at every CPU of the machine.
    """
    unknown = sorted(set(caps) - set(CT))
    if unknown:
        raise RuntimeError(f"BENCH_CPUS names {unknown}, which are not lab hosts ({sorted(CT)})")
    for host in CT:
        if host in caps or not caps:
            cpus = caps.get(host, os.cpu_count() or 1)
            run(["docker", "update", "--cpus", f"{cpus:g}", CT[host]], timeout=60)


def clean_data(*, accounts_too: bool = False) -> None:
    """Same data for every point: drop the books locust users created (and, at the end, the users)."""
    if accounts_too:
        psql(f"delete from users where email like '{LOCUST_EMAILS}'")  # books cascade
    else:
        psql(f"delete from books where owner_id in (select id from users where email like '{LOCUST_EMAILS}')")
    psql("vacuum analyze users, books")


def prepare_accounts(url: str, count: int, extra_env: dict) -> Path:
    """Sign `count` locust users up and in through the stack, before any point is timed.

    Every sign-up and login costs one Argon2id hash (~45 ms of CPU), so 200 users
    signing up within the 4 s spawn would measure the hash, not the serving; the
    points run signed-in users instead (LOCUST_ACCOUNTS, app_src/locustfile.py),
    whose login task still runs at its weight. The tokens are signed with the
    lab's JWT key, which every target shares, and live an hour. The file is
    0600 under .cache/ (bearer tokens).
    """
    import requests  # locust's dependency, in .venv

    verify = extra_env.get("REQUESTS_CA_BUNDLE", True)
    password = "locust-password-1"
    run_id = datetime.now(timezone.utc).strftime("%H%M%S")

    def one(i: int) -> dict:
        email = f"locust-bench-{run_id}-{i:04d}@bookshelf.test"
        body = {"email": email, "password": password}
        with requests.Session() as s:
            r = s.post(f"{url}/auth/register", json=body, timeout=60, verify=verify)
            if r.status_code != 202:  # accepted: the same answer whether or not the email existed
                raise RuntimeError(f"register {email}: HTTP {r.status_code} {r.text[:200]}")
            r = s.post(f"{url}/auth/login", json=body, timeout=60, verify=verify)
            if r.status_code != 200:
                raise RuntimeError(f"login {email}: HTTP {r.status_code} {r.text[:200]}")
            return {"email": email, "password": password, "token": r.json()["token"]}

    from concurrent.futures import ThreadPoolExecutor

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        accounts = list(pool.map(one, range(count)))
    path = ROOT / ".cache" / "bench-accounts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(accounts))
    say(f"{count} locust accounts signed up and in through the stack in {time.monotonic() - start:.0f}s")
    return path


def stack_target() -> tuple[str, dict]:
    """The stack's URL as a client sees it, and the env locust needs to verify its TLS.

    The lab's certificate names `localhost` (DNS SANs from nginx_server_name), so
    the URL says localhost; docker publishes 8443 on 127.0.0.1 only.
    """
    if curl_status("http://127.0.0.1:8080/books/") == 200:
        return "http://127.0.0.1:8080", {}
    cafile = RAW / "lab-web1.crt"
    cert = dexec(
        "web1", r"grep -rhoE '^\s*ssl_certificate\s+\S+;' /etc/nginx | head -1 | awk '{print $2}' | tr -d ';'"
    ).stdout.strip()
    cafile.write_text(dexec("web1", f"cat {shlex.quote(cert)}").stdout)
    url = "https://localhost:8443"
    if curl_status(f"{url}/books/", str(cafile)) != 200:
        raise RuntimeError(f"{url}/books/ does not verify with {cert} from web1")
    return url, {"REQUESTS_CA_BUNDLE": str(cafile)}


def locust_point(target: str, url: str, users: int, extra_env: dict) -> dict:
    prefix = RAW / f"{target}-{users}u"
    spawn = users / SPAWN_SECONDS
    cmd = [
        str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "app_src" / "locustfile.py"),
        "--headless", "--host", url, "--users", str(users), "--spawn-rate", f"{spawn:g}",
        "--run-time", f"{DURATION}s", "--stop-timeout", "5", "--csv", str(prefix),
        "--only-summary", "--loglevel", "WARNING",
    ]
    env = dict(ENV)
    env.update(extra_env)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=DURATION + 120)
    (LOGS / f"locust-{target}-{users}u.log").write_text(proc.stdout + proc.stderr)
    row = None
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Name"] == "Aggregated":
                row = r
    failures = []
    fpath = Path(f"{prefix}_failures.csv")
    if fpath.exists():
        with fpath.open(newline="") as fh:
            failures = [{"method": r["Method"], "name": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])} for r in csv.DictReader(fh)]

    def num(key):
        try:
            return float(row[key])
        except (KeyError, TypeError, ValueError):
            return 0.0

    return {
        "target": target, "users": users, "duration_s": DURATION, "spawn_rate": spawn,
        "requests": int(num("Request Count")), "errors": int(num("Failure Count")),
        "rps": round(num("Requests/s"), 1),
        "p50_ms": num("50%"), "p95_ms": num("95%"), "p99_ms": num("99%"), "avg_ms": round(num("Average Response Time"), 1),
        "failures": failures,
    }


def serving() -> dict:
    addr = app1_address()
    missing = [p for p in PORTS.values() if not published(p)]
    if missing:
        raise RuntimeError(f"app1 does not publish {missing} on 127.0.0.1 (inventories/lab/hosts.yml): run `make demo` to recreate app1")
    out: dict = {"points": [], "memory": []}
    say("raising nginx's per-IP limits for the run (web.yml -e ...)")
    limits_args = ["playbooks/web.yml"]
    for k, v in NGINX_BENCH_LIMITS.items():
        limits_args += ["-e", f"{k}={v}"]
    out["limits_run"] = playbook("nginx-limits-raised", limits_args)
    out["limits"] = NGINX_BENCH_LIMITS
    try:
        out["memory"].append(memory_snapshot("idle"))
        out.update(start_baselines(addr))
        url_c, env_c = stack_target()
        targets = [
            ("flask_dev", f"http://127.0.0.1:{PORTS['flask_dev']}", {}),
            ("gunicorn_default", f"http://127.0.0.1:{PORTS['gunicorn_default']}", {}),
            ("gunicorn_tuned", f"http://127.0.0.1:{PORTS['gunicorn_tuned']}", {}),
            ("stack", url_c, env_c),
        ]
        out["urls"] = {t: u for t, u, _ in targets}
        clean_data(accounts_too=True)
        accounts = prepare_accounts(url_c, max(USERS), env_c)
        out["accounts"] = max(USERS)
        targets = [(t, u, {**e, "LOCUST_ACCOUNTS": str(accounts)}) for t, u, e in targets]
        if CPU_CAPS:
            say("CPU caps for the points: " + ", ".join(f"{h} {c:g}" for h, c in CPU_CAPS.items()))
            set_cpu_caps(CPU_CAPS)
        out["cpu_caps"] = CPU_CAPS
        time.sleep(3)
        for users in USERS:
            for target, url, env in targets:
                clean_data()
                time.sleep(2)
                sampler = None
                if target == "stack" and users == max(USERS):
                    sampler = Sampler(delay=DURATION * 0.6, label=f"stack, {users} users")
                    sampler.start()
                say(f"load: {target} {url} {users} users, {users / SPAWN_SECONDS:g}/s spawn, {DURATION}s")
                point = locust_point(target, url, users, env)
                if sampler:
                    sampler.join()
                    out["memory"].append(sampler.result)
                say(f"  -> {point['rps']} req/s, p50 {point['p50_ms']:.0f} ms, p95 {point['p95_ms']:.0f} ms, "
                    f"p99 {point['p99_ms']:.0f} ms, errors {point['errors']}/{point['requests']}")
                out["points"].append(point)
        clean_data(accounts_too=True)
    finally:
        if CPU_CAPS:
            set_cpu_caps({})
        stop_baselines()
    return out


class Sampler(threading.Thread):
    def __init__(self, delay: float, label: str):
        super().__init__(daemon=True)
        self.delay, self.label, self.result = delay, label, {}

    def run(self):
        time.sleep(self.delay)
        self.result = memory_snapshot(self.label)


# --------------------------------------------------------------------------- main

def load_info() -> dict:
    load = os.getloadavg()
    busy = run(["sh", "-c", "ps -eo args | grep -c '[a]nsible-playbook\\|[m]olecule'"], check=False).stdout.strip()
    return {"loadavg": [round(x, 2) for x in load], "cpus": os.cpu_count(), "ansible_or_molecule_processes": int(busy or 0)}


def ensure_lab() -> dict:
    ok = VAULT_PASS.exists() and all(published(p) for p in PORTS.values())
    if ok:
        try:
            stack_target()  # answers 200 through nginx, TLS verified
        except Exception as exc:  # noqa: BLE001
            say(f"the stack does not answer: {exc}")
            ok = False
    if ok:
        return {"demo_run": False}
    say("the lab is not up with the bench ports: make demo (scripts/demo.sh)")
    start = time.monotonic()
    with (LOGS / "demo.log").open("w") as fh:
        proc = subprocess.run(["scripts/demo.sh"], cwd=ROOT, env=ENV, stdout=fh, stderr=subprocess.STDOUT, timeout=2400)
    if proc.returncode != 0:
        raise RuntimeError("make demo failed: see bench/results/logs/demo.log")
    return {"demo_run": True, "seconds": round(time.monotonic() - start, 1)}


def main() -> int:
    for d in (RESULTS, LOGS, RAW):
        d.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        previous = json.loads((RESULTS / "results.json").read_text())
    except (OSError, ValueError):
        previous = {}
    res: dict = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {"duration_s": DURATION, "users": USERS, "spawn_seconds": SPAWN_SECONDS, "cold": COLD},
        "load_before": load_info(),
        "commit": run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip(),
    }
    error = None
    try:
        res["lab"] = ensure_lab()
        set_cpu_caps({})  # a run stopped half-way may have left its caps on
        if not SKIP_CONVERGE:
            res["convergence"] = convergence()
        elif previous.get("convergence"):
            # Keep the last measured convergence figures, labelled with their run.
            res["convergence"] = previous["convergence"]
            res["convergence_from"] = previous.get("started")
            if not COLD and not previous["convergence"].get("cold", {}).get("seconds"):
                res["convergence"]["cold"] = cold_from_demo_log()
        if not SKIP_SERVE:
            try:
                res["serving"] = serving()
            finally:
                res["load_after_serving"] = load_info()
    except Exception as exc:  # noqa: BLE001 - always restore and write what was measured
        error = f"{type(exc).__name__}: {exc}"
        say(f"ERROR {error}")
    finally:
        # Put back what the run changed: nginx's limits (web.yml without -e) and,
        # when the release was not rolled back, the inventory's release (site.yml).
        restore = []
        if "serving" in res or (not SKIP_SERVE and error):
            restore.append(("restore-nginx-limits", ["playbooks/web.yml"]))
        conv = res.get("convergence", {}) if not SKIP_CONVERGE else {}
        if not SKIP_CONVERGE and not conv.get("rollback"):
            restore = [("restore-site", ["site.yml"])]
        for label, args in restore:
            try:
                res.setdefault("restore", []).append(playbook(label, args))
            except Exception as exc:  # noqa: BLE001
                error = (error + "; " if error else "") + f"restore: {exc}"
                say(f"ERROR restore: {exc}")
    res["error"] = error
    res["seconds"] = round(time.monotonic() - started, 1)
    (RESULTS / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    rc = run([sys.executable, str(BENCH / "report.py")], check=False, capture=False).returncode
    return 1 if error or rc else 0


if __name__ == "__main__":
    sys.exit(main())
