#!/usr/bin/env python3
"""CPU cost of one password hash and one verify: werkzeug scrypt vs Argon2id.

Compares the hash bookshelf used before (werkzeug's default scrypt, n=2^15,
r=8, p=1) with the one it uses now (Argon2id at OWASP's m=19456 KiB, t=2,
p=1), in CPU milliseconds of this process (time.process_time), so other load
on the machine does not inflate the figures. Not part of `make test`:

    .venv/bin/python bench/hash_cost.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import argon2
from werkzeug.security import check_password_hash, generate_password_hash

PASSWORD = "correct horse battery staple"
SCRYPT = "scrypt:32768:8:1"  # werkzeug 3's default method, spelled out
ARGON2ID = argon2.PasswordHasher(
    time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=argon2.Type.ID
)


def cpu_ms(operation: Callable[[], object], rounds: int) -> float:
    """Median CPU milliseconds of `operation` over `rounds` calls (after one warm-up)."""
    operation()
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        operation()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="calls per figure (default 20)")
    rounds = parser.parse_args().rounds

    scrypt_hash = generate_password_hash(PASSWORD, method=SCRYPT)
    argon2_hash = ARGON2ID.hash(PASSWORD)
    assert scrypt_hash.startswith("scrypt:32768:8:1$")
    assert argon2_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    figures = {
        "scrypt hash": cpu_ms(lambda: generate_password_hash(PASSWORD, method=SCRYPT), rounds),
        "scrypt verify": cpu_ms(lambda: check_password_hash(scrypt_hash, PASSWORD), rounds),
        "argon2id hash": cpu_ms(lambda: ARGON2ID.hash(PASSWORD), rounds),
        "argon2id verify": cpu_ms(lambda: ARGON2ID.verify(argon2_hash, PASSWORD), rounds),
    }
    print(f"CPU ms per call, median of {rounds} (time.process_time)")
    print("  scrypt   = werkzeug scrypt n=2^15 r=8 p=1 (32 MiB)")
    print("  argon2id = m=19456 KiB t=2 p=1 (OWASP)")
    for name, value in figures.items():
        print(f"  {name:<16} {value:8.1f} ms")
    for op in ("hash", "verify"):
        ratio = figures[f"scrypt {op}"] / figures[f"argon2id {op}"]
        print(f"  {op}: scrypt / argon2id = {ratio:.2f}x")


if __name__ == "__main__":
    main()
