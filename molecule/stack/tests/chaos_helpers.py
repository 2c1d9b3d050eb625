"""Helpers for the fault-injection tests: run the day-2 playbooks against the
scenario's inventory, talk to the API through nginx on 127.0.0.1, write under load.

All traffic goes to 127.0.0.1:18080 (nginx published by the scenario) or into the
scenario's own containers; every load is bounded in count and seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BASE = "http://127.0.0.1:18080"
REPO = Path(__file__).resolve().parents[3]
APP_HOSTS = ("app1", "app2")
SERVICE = "bookshelf"
LOCK_FILE = "/var/lib/flaskstack/deploy.lock"
# What the day-2 tests load while a playbook runs: /healthz through nginx (to the
# database and back), for at most MAX_SECONDS.
LOAD_URL = BASE + "/healthz"
MAX_SECONDS = 900


def run_playbook(name: str, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """ansible-playbook playbooks/<name> against the scenario's inventory (+ its group_vars link)."""
    ansible_playbook = str(Path(sys.executable).with_name("ansible-playbook"))
    # Facts in memory only: the repo's jsonfile cache is keyed by host name, and the
    # lab has hosts with the same names (db1, app1, ...) on other addresses.
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_CACHE_PLUGIN": "memory"}
    cmd = [ansible_playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(REPO / "playbooks" / name), *args]
    started = time.monotonic()
    result = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    print(f"{name} {' '.join(args)}: rc={result.returncode} in {time.monotonic() - started:.0f}s")
    return result


class Background(threading.Thread):
    """Run a playbook in a thread; `done` is set when it ends (stops a bounded load)."""

    def __init__(self, name: str, *args: str, timeout: int = 900, runner=None):
        super().__init__(daemon=True)
        self.name_, self.args, self.timeout = name, args, timeout
        # run_playbook (this checkout's playbooks/) unless the test runs a project's own.
        self.runner = runner or (lambda playbook, *rest: run_playbook(playbook, *rest, timeout=timeout))
        self.done = threading.Event()
        self.result: subprocess.CompletedProcess | None = None

    def run(self) -> None:
        try:
            self.result = self.runner(self.name_, *self.args)
        finally:
            self.done.set()

    def wait(self) -> subprocess.CompletedProcess:
        self.join(self.timeout + 30)
        assert self.result is not None, f"{self.name_} did not finish"
        return self.result


def deploy_locked() -> bool:
    """Whether db1 holds the environment's deploy lock."""
    return sh("db1", f"test -e {LOCK_FILE}", check=False).returncode == 0


def sh(name: str, command: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a shell command in the scenario's container `name` (fast enough for timing probes)."""
    result = subprocess.run(["docker", "exec", f"flaskstack-stack-{name}", "sh", "-c", command],
                            capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{name}: {command} -> rc={result.returncode} {result.stderr.strip()}")
    return result


def paced_load(load, url: str, stop: threading.Event, max_seconds: float, burst: int = 8,
               concurrency: int = 2, pause: float = 0.25):
    """The shared `load` fixture in short bursts until `stop` (or `max_seconds`): a few
    concurrent clients at a bounded rate instead of flat out, so that the load does not
    starve the playbook it runs against on a small machine. Returns one combined result."""
    from conftest import LoadResult

    statuses: dict[int, int] = {}
    served_by: dict[str, int] = {}
    started = time.monotonic()
    while not stop.is_set() and time.monotonic() - started < max_seconds:
        part = load(url, requests=burst, concurrency=concurrency, max_seconds=30)
        for key, n in part.statuses.items():
            statuses[key] = statuses.get(key, 0) + n
        for key, n in part.served_by.items():
            served_by[key] = served_by.get(key, 0) + n
        stop.wait(pause)
    result = LoadResult(statuses, served_by, time.monotonic() - started)
    result.stopped = stop.is_set()  # type: ignore[attr-defined]
    return result


def tail(result: subprocess.CompletedProcess, chars: int = 4000) -> str:
    return (result.stdout + result.stderr)[-chars:]


def api(method: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 10):
    """One request through nginx: (status, json body or None, headers); status 0 = no answer."""
    req = urllib.request.Request(BASE + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None, resp.headers
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            body_out = json.loads(raw) if raw else None
        except ValueError:
            body_out = None
        return err.code, body_out, err.headers
    except OSError:
        return 0, None, {}


def new_token() -> str:
    email, password = f"chaos-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    assert api("POST", "/auth/register", {"email": email, "password": password})[0] == 202
    status, body, _ = api("POST", "/auth/login", {"email": email, "password": password})
    assert status == 200, status
    return body["token"]


def releases_served(requests: int = 20) -> dict[str, set[str]]:
    """Which release each app host serves, seen through nginx."""
    seen: dict[str, set[str]] = {}
    for _ in range(requests):
        status, _, headers = api("GET", "/ping")
        if status == 200:
            seen.setdefault(headers.get("X-Served-By", "?"), set()).add(headers.get("X-Release-Id", "?"))
    return seen


def live_release(host) -> str:
    return host.check_output("basename $(readlink /srv/bookshelf/current)")


def last_ledger_entry(host) -> dict:
    return json.loads(host.check_output("tail -n 1 /srv/bookshelf/ledger.jsonl"))


@dataclass
class WriteLog:
    """Every POST /books/ of a write load: (monotonic time of the answer, status, title)."""
    entries: list[tuple[float, int, str]] = field(default_factory=list)

    @property
    def acknowledged(self) -> list[str]:
        return [title for _, status, title in self.entries if 200 <= status < 300]

    def failures(self) -> list[tuple[float, int]]:
        return [(t, status) for t, status, _ in self.entries if status == 0 or status >= 500]

    def __str__(self) -> str:
        statuses: dict[int, int] = {}
        for _, status, _ in self.entries:
            statuses[status] = statuses.get(status, 0) + 1
        return (f"{len(self.entries)} writes, acknowledged={len(self.acknowledged)}, "
                f"failed={len(self.failures())}, statuses={dict(sorted(statuses.items()))}")


def write_load(token: str, stop: threading.Event, writers: int = 2, max_writes: int = 1000,
               max_seconds: float = 90, per_writer_rate: float = 4.0) -> WriteLog:
    """POST books from `writers` threads until `stop`, `max_writes` or `max_seconds`.

    Paced at `per_writer_rate` writes/s each: the API allows 10 r/s per client
    address, and a 429 would be neither a write nor a failure.
    """
    log = WriteLog()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    remaining = [max_writes]
    prefix = f"chaos-{uuid.uuid4().hex[:8]}"

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            i += 1
            title = f"{prefix}-{n}-{i}"
            sent = time.monotonic()
            status = api("POST", "/books/", {"title": title}, token, timeout=15)[0]
            with lock:
                log.entries.append((time.monotonic(), status, title))
            time.sleep(max(0.0, 1 / per_writer_rate - (time.monotonic() - sent)))

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 30)
    return log


def psql(sql: str, database: str = "bookshelf") -> str:
    """One query as postgres on db1, unaligned output."""
    quoted = sql.replace("'", "'\"'\"'")
    return sh("db1", f"runuser -u postgres -- psql --no-psqlrc -qAt -d {database} -c '{quoted}'").stdout.strip()


def table_fingerprints(database: str = "bookshelf") -> dict[str, tuple[int, str]]:
    """(row count, md5 over the rows in a stable order) for every table in schema public."""
    tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", database).split()
    out = {}
    for table in tables:
        row = psql(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                   f'FROM public."{table}" t', database)
        count, digest = row.split("|")
        out[table] = (int(count), digest)
    return out


def dump_path(output: str) -> str:
    match = re.search(r"backup: (/\S+\.dump) \(", output)
    assert match, f"backup.yml printed no dump path:\n{output[-3000:]}"
    return match.group(1)
