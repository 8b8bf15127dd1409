"""Password hashes: Argon2id, as OWASP's Password Storage Cheat Sheet recommends first.

Parameters: 19 MiB of memory, 2 passes, 1 lane: the cheat sheet's minimum configuration for Argon2id. What we
used before, werkzeug's scrypt (N = 2**15, r = 8, p = 1: 32 MiB, one pass), is below the cheat sheet's minimum
for scrypt (N = 2**17), and cost this server 80-107 ms of CPU a check against Argon2id's 21-23 ms (measured on
the development machine; README "Passwords"). An attacker's cost per guess is set by the memory and passes the
hash demands, not by how fast our C library happens to be.

Hashes made before (werkzeug's `scrypt:` and `pbkdf2:` strings) are still checked, with werkzeug, and replaced by
an Argon2id hash at the account's next successful sign-in (`needs_rehash`). A hash of ours whose parameters
are older than these is replaced the same way, so raising them later needs no migration.
"""
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash as _werkzeug_check

MEMORY_KIB = 19 * 1024
PASSES = 2
LANES = 1
PREFIX = "$argon2id$"

_HASHER = PasswordHasher(time_cost=PASSES, memory_cost=MEMORY_KIB, parallelism=LANES, hash_len=32, salt_len=16,
                         type=Type.ID)


def hash_password(password: str) -> str:
    """A new hash of `password`, with its own random salt, in the PHC string format ($argon2id$v=19$m=…)."""
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` was made from. A hash we cannot read (an account without a password,
    a damaged value) matches nothing."""
    if stored.startswith(PREFIX):
        try:
            return _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return _werkzeug_check(stored, password)


def needs_rehash(stored: str) -> bool:
    """True for a hash to replace at the next sign-in: werkzeug's, or ours with other parameters."""
    if not stored.startswith(PREFIX):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True
