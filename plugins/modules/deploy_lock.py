#!/usr/bin/python
# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""The per-environment deploy lock: a JSON file naming its holder, with a heartbeat."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: deploy_lock
short_description: Take, refresh (heartbeat), release or break a deploy lock file
version_added: 0.1.0
description:
  - A lock is a JSON file created atomically (C(O_CREAT|O_EXCL)) that names its holder (actor, controller,
    pid, purpose, environment), when it was taken and when its holder last proved it is alive (the heartbeat).
  - Every change is made under an exclusive C(flock) on the lock's directory, so two runs taking, breaking,
    refreshing or releasing the same lock at once cannot overwrite each other's file.
  - A lock is broken automatically only when its B(heartbeat) is older than O(ttl) seconds; a long run that
    keeps refreshing its lock is never broken, however old the lock is. O(force=true) breaks any lock.
  - A broken lock is moved aside to C(<path>.broken-<epoch>) (kept for the record) with a warning naming its holder.
  - Only the holder's token (returned by O(state=take)) can refresh or release a lock.
options:
  path:
    description: The lock file. Its directory is created (mode 0750) when missing.
    type: path
    default: /var/lib/flaskstack/deploy.lock
  state:
    description:
      - V(take) creates the lock (breaking a stale one, or any one with O(force=true)) and fails when a live
        run holds it.
      - V(heartbeat) records that the holder is alive; it fails when the lock is gone or held by another token
        (the lock was broken), so the holder stops instead of carrying on unprotected.
      - V(release) removes the lock when O(token) holds it; a lock held by another token is left in place with a warning.
      - V(break) moves any lock aside, without taking it.
    type: str
    choices: [take, heartbeat, release, break]
    default: take
  holder:
    description: Who takes the lock (O(state=take)); stored in the lock file and shown to runs it refuses.
    type: dict
    suboptions:
      actor:
        description: The person or system running the deploy.
        type: str
        required: true
      controller:
        description: Host name of the machine running Ansible.
        type: str
        default: "?"
      pid:
        description: Process id of the run on the controller.
        type: int
        default: 0
      purpose:
        description: What the holder is doing, for example C(deploy.yml 2026-11-21.1).
        type: str
        default: ""
      environment:
        description: The environment the lock protects (used in messages).
        type: str
        default: ""
  token:
    description:
      - The holder's token. Required for O(state=heartbeat) and O(state=release).
      - With O(state=take), the token to store (default a new random one).
    type: str
  ttl:
    description: With O(state=take), seconds without a heartbeat after which another holder's lock counts as stale and is broken.
    type: int
    default: 3600
  force:
    description: With O(state=take), break the lock even when its holder's heartbeat is fresh.
    type: bool
    default: false
  break_hint:
    description: With O(state=take), how the operator breaks a live lock, quoted in the refusal message.
    type: str
    default: force=true
attributes:
  check_mode:
    support: full
    description: Reports what would change (take, break, heartbeat, release) without writing; a refusal still fails.
  diff_mode:
    support: none
author:
  - flaskstack maintainers
"""

EXAMPLES = r"""
- name: Take the deploy lock
  flaskstack.deploy.deploy_lock:
    state: take
    holder:
      actor: "{{ lookup('flaskstack.deploy.actor') }}"
      controller: "{{ lookup('ansible.builtin.pipe', 'hostname') }}"
      purpose: deploy.yml 2026-11-21.1
      environment: production
    ttl: 3600
  register: lock

- name: Prove this run is alive before each batch
  flaskstack.deploy.deploy_lock:
    state: heartbeat
    token: "{{ lock.token }}"

- name: Release it
  flaskstack.deploy.deploy_lock:
    state: release
    token: "{{ lock.token }}"
"""

RETURN = r"""
acquired:
  description: Whether this call holds the lock after O(state=take) (in check mode, whether it would).
  returned: state is take
  type: bool
token:
  description: The holder's token; pass it to heartbeat and release.
  returned: state is take and the lock was acquired
  type: str
holder:
  description:
    - The lock's holder after the call (this run's after a take, the other run's after a refusal),
      without its token, with C(age_s) and C(heartbeat_age_s).
  returned: when a lock exists
  type: dict
  sample:
    actor: alice
    controller: laptop
    pid: 4242
    purpose: deploy.yml 2026-11-21.1
    environment: production
    started_at: "2026-11-21T13:05:10Z"
    started_epoch: 1795266310
    heartbeat_at: "2026-11-21T13:25:40Z"
    heartbeat_epoch: 1795267540
    age_s: 1240
    heartbeat_age_s: 10
age_s:
  description: Seconds since the lock in RV(holder) was taken.
  returned: when a lock exists
  type: int
heartbeat_age_s:
  description: Seconds since the holder in RV(holder) last refreshed the lock.
  returned: when a lock exists
  type: int
broken:
  description: The holder of the lock that was (or in check mode would be) broken, with its ages; null when none was.
  returned: state is take or break
  type: dict
broken_path:
  description: Where the broken lock was moved.
  returned: when a lock was broken outside check mode
  type: str
released:
  description: Whether the lock was (or in check mode would be) removed.
  returned: state is release
  type: bool
lock_file:
  description: The lock file (named so, not C(path), to keep file attributes out of the result).
  returned: always
  type: str
"""

import contextlib
import datetime
import errno
import fcntl
import json
import os
import secrets
import socket
import time

from ansible.module_utils.basic import AnsibleModule

UNREADABLE = {"actor": "?", "controller": "?", "pid": "?", "purpose": "unreadable lock file", "environment": "?"}


class LockError(Exception):
    """The lock cannot do what was asked; `result` goes into the module's failure."""

    def __init__(self, msg: str, **result):
        super().__init__(msg)
        self.msg = msg
        self.result = result


def _stamp(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def _guard(path: str, exclusive: bool):
    """Serialize every change to `path` with a flock on its directory (it survives renames of the file)."""
    directory = os.path.dirname(path) or "."
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        yield  # nothing to guard: no lock can exist yet (check mode before the first take)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def read_lock(path: str, now: float) -> dict | None:
    """The lock's content with its ages, token included; None when there is no lock."""
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
        if not isinstance(content, dict):
            raise ValueError("not an object")
    except (OSError, ValueError):
        content = dict(UNREADABLE)

    def epoch(key: str) -> float:
        try:
            return float(content.get(key) or mtime)
        except (TypeError, ValueError):
            return mtime

    started, beat = epoch("started_epoch"), epoch("heartbeat_epoch")
    content["age_s"] = max(0, int(now - started))
    content["heartbeat_age_s"] = max(0, int(now - beat))
    return content


def public(lock: dict | None) -> dict | None:
    """A lock's content as shown to anyone: everything but the token."""
    return None if lock is None else {k: v for k, v in lock.items() if k != "token"}


def is_stale(lock: dict, ttl: int) -> bool:
    """A lock may be broken without force only when its holder stopped refreshing it."""
    return lock["heartbeat_age_s"] > ttl


def _write_new(path: str, content: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle)
        handle.flush()
        os.fsync(handle.fileno())


def _replace(path: str, content: dict) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(content, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _move_aside(path: str, now: float) -> str:
    target, n = f"{path}.broken-{int(now)}", 1
    while os.path.exists(target):
        target, n = f"{path}.broken-{int(now)}-{n}", n + 1
    os.rename(path, target)
    return target


def who(lock: dict) -> str:
    """actor@controller (pid N, purpose), as every message names a holder."""
    def field(key: str) -> str:
        value = lock.get(key)
        return "?" if value in (None, "") else str(value)
    return f"{field('actor')}@{field('controller')} (pid {field('pid')}, {field('purpose')})"


def refusal(lock: dict, holder: dict, path: str, ttl: int, break_hint: str) -> str:
    env = holder.get("environment") or lock.get("environment") or "?"
    return (
        f"Deploy lock for environment {env} is held by {who(lock)}, started {lock.get('started_at', '?')}, "
        f"{lock['age_s']}s ago, last heartbeat {lock['heartbeat_age_s']}s ago ({socket.gethostname()}:{path}). "
        f"Wait for it to finish. If that run died, the lock is broken automatically once its heartbeat is older "
        f"than ttl={ttl}s (in {max(0, ttl - lock['heartbeat_age_s'])}s), or now with {break_hint}."
    )


def take(path: str, holder: dict, token: str | None = None, ttl: int = 3600, force: bool = False,
         break_hint: str = "force=true", check_mode: bool = False, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    token = token or secrets.token_hex(16)
    mine = dict(holder, token=token, started_epoch=int(now), started_at=_stamp(now),
                heartbeat_epoch=int(now), heartbeat_at=_stamp(now))
    result = {"lock_file": path, "acquired": False, "broken": None, "changed": False}
    if not check_mode:
        os.makedirs(os.path.dirname(path) or ".", mode=0o750, exist_ok=True)
    with _guard(path, exclusive=not check_mode):
        other = read_lock(path, now)
        if other is not None:
            if not (force or is_stale(other, ttl)):
                raise LockError(refusal(other, holder, path, ttl, break_hint), holder=public(other), lock_file=path,
                                acquired=False, age_s=other["age_s"], heartbeat_age_s=other["heartbeat_age_s"])
            result["broken"] = public(other)
            if not check_mode:
                result["broken_path"] = _move_aside(path, now)
        if not check_mode:
            try:
                _write_new(path, mine)
            except FileExistsError:
                # Only a writer that ignores the directory lock (an older version) gets here.
                other = read_lock(path, now) or dict(UNREADABLE, age_s=0, heartbeat_age_s=0)
                raise LockError(refusal(other, holder, path, ttl, break_hint), holder=public(other), lock_file=path,
                                acquired=False, age_s=other["age_s"], heartbeat_age_s=other["heartbeat_age_s"])
    mine.update(age_s=0, heartbeat_age_s=0)
    result.update(acquired=True, changed=True, token=token, holder=public(mine), age_s=0, heartbeat_age_s=0)
    return result


def _held_by(path: str, token: str, now: float) -> tuple[dict | None, bool]:
    lock = read_lock(path, now)
    return lock, lock is not None and bool(token) and secrets.compare_digest(str(lock.get("token", "")), token)


def heartbeat(path: str, token: str, check_mode: bool = False, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    with _guard(path, exclusive=not check_mode):
        lock, held = _held_by(path, token, now)
        if lock is None:
            raise LockError(f"Lost the deploy lock: {path} is gone (released or broken by another run). "
                            "Stopping: this run is no longer protected.", lock_file=path)
        if not held:
            raise LockError(
                f"Lost the deploy lock: {path} is now held by {who(lock)}, taken {lock['age_s']}s ago. "
                "Stopping: this run is no longer protected.",
                lock_file=path, holder=public(lock), age_s=lock["age_s"], heartbeat_age_s=lock["heartbeat_age_s"])
        lock = {k: v for k, v in lock.items() if k not in ("age_s", "heartbeat_age_s")}
        lock.update(heartbeat_epoch=int(now), heartbeat_at=_stamp(now))
        if not check_mode:
            _replace(path, lock)
    age = max(0, int(now - float(lock.get("started_epoch") or now)))
    shown = dict(public(lock), age_s=age, heartbeat_age_s=0)
    return {"lock_file": path, "changed": True, "holder": shown, "age_s": age, "heartbeat_age_s": 0}


def release(path: str, token: str, check_mode: bool = False, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    with _guard(path, exclusive=not check_mode):
        lock, held = _held_by(path, token, now)
        result = {"lock_file": path, "changed": held, "released": held}
        if lock is not None:
            result.update(holder=public(lock), age_s=lock["age_s"], heartbeat_age_s=lock["heartbeat_age_s"])
        if held and not check_mode:
            os.unlink(path)
        if lock is not None and not held:
            result["warning"] = (
                f"Left the deploy lock {path} in place: it is held by another run, {who(lock)}; "
                "this run's lock was broken while it ran.")
    return result


def break_lock(path: str, check_mode: bool = False, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    with _guard(path, exclusive=not check_mode):
        lock = read_lock(path, now)
        result = {"lock_file": path, "changed": lock is not None, "broken": public(lock)}
        if lock is not None and not check_mode:
            result["broken_path"] = _move_aside(path, now)
    return result


def broken_warning(broken: dict, why: str, path: str) -> str:
    return (f"Broke the deploy lock of {who(broken)}, held for {broken['age_s']}s, "
            f"last heartbeat {broken['heartbeat_age_s']}s ago ({why}); it is kept as {path}.broken-*. "
            "Check that run really died.")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/var/lib/flaskstack/deploy.lock"},
            "state": {"type": "str", "default": "take", "choices": ["take", "heartbeat", "release", "break"]},
            "holder": {"type": "dict", "options": {
                "actor": {"type": "str", "required": True},
                "controller": {"type": "str", "default": "?"},
                "pid": {"type": "int", "default": 0},
                "purpose": {"type": "str", "default": ""},
                "environment": {"type": "str", "default": ""},
            }},
            "token": {"type": "str", "no_log": False},
            "ttl": {"type": "int", "default": 3600},
            "force": {"type": "bool", "default": False},
            "break_hint": {"type": "str", "default": "force=true"},
        },
        required_if=[("state", "take", ["holder"]), ("state", "heartbeat", ["token"]), ("state", "release", ["token"])],
        supports_check_mode=True,
    )
    p, check = module.params, module.check_mode
    try:
        if p["state"] == "take":
            result = take(p["path"], p["holder"], p["token"], p["ttl"], p["force"], p["break_hint"], check)
            if result["broken"] is not None:
                why = "force=true" if p["force"] else f"no heartbeat for {result['broken']['heartbeat_age_s']}s > ttl={p['ttl']}s"
                module.warn(broken_warning(result["broken"], why, p["path"]))
        elif p["state"] == "heartbeat":
            result = heartbeat(p["path"], p["token"], check)
        elif p["state"] == "release":
            result = release(p["path"], p["token"], check)
            if "warning" in result:
                module.warn(result.pop("warning"))
        else:
            result = break_lock(p["path"], check)
            if result["broken"] is not None:
                module.warn(broken_warning(result["broken"], "state=break", p["path"]))
    except LockError as err:
        module.fail_json(msg=err.msg, **err.result)
    except OSError as err:
        module.fail_json(msg=f"{p['path']}: {os.strerror(err.errno or errno.EIO)} ({err})", lock_file=p["path"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
