"""Password hashing: Argon2id for every new hash; older hashes still verify.

New hashes use Argon2id (argon2-cffi) with OWASP's parameters. Hashes written
by earlier releases (werkzeug's `scrypt:...` and `pbkdf2:...` formats) still
verify, and a successful login hands back a fresh Argon2id hash to store, so
old hashes disappear as their users log in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

ARGON2_PREFIX = "$argon2"


@dataclass(frozen=True)
class Argon2Params:
    """Cost of one Argon2id hash: passes, memory in KiB, lanes."""

    time_cost: int
    memory_cost_kib: int
    parallelism: int


# OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
OWASP_ARGON2ID = Argon2Params(time_cost=2, memory_cost_kib=19456, parallelism=1)
# APP_ENV=testing only: the smallest cost Argon2 allows, so tests stay fast.
TESTING_ARGON2ID = Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1)


@dataclass(frozen=True)
class Verification:
    """Outcome of a check: `ok`, and a new hash to store when the old one is outdated."""

    ok: bool
    new_hash: str | None = None


class PasswordHasher:
    """Hashes with Argon2id at fixed parameters; verifies Argon2 and legacy werkzeug hashes."""

    def __init__(self, params: Argon2Params) -> None:
        self.params = params
        self._argon2 = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost_kib,
            parallelism=params.parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        # Checked when a login names an unknown user, so that a miss costs as
        # much as a hit and response times do not reveal which emails exist.
        self.dummy_hash = self.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored_hash: str, password: str) -> Verification:
        if stored_hash.startswith(ARGON2_PREFIX):
            try:
                self._argon2.verify(stored_hash, password)
            except (VerificationError, InvalidHashError):
                return Verification(ok=False)
            if self._argon2.check_needs_rehash(stored_hash):
                return Verification(ok=True, new_hash=self.hash(password))
            return Verification(ok=True)
        if _check_legacy_hash(stored_hash, password):
            return Verification(ok=True, new_hash=self.hash(password))
        return Verification(ok=False)


def _check_legacy_hash(stored_hash: str, password: str) -> bool:
    """werkzeug's formats (scrypt, pbkdf2) as written by releases before Argon2id."""
    try:
        return check_password_hash(stored_hash, password)
    except ValueError:  # not a format werkzeug knows
        return False
