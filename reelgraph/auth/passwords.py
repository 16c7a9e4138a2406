"""argon2id password hashing; hashes made with older parameters are upgraded at the next login."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults follow RFC 9106's low-memory recommendation (argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()

# Hashing is deliberately slow CPU work (and 64 MiB a hash): it runs off the event loop, in a pool
# of its own sized to half the cores, so a burst of sign-ins queues there instead of taking every
# core and the default pool that recommendations and mail share.
_pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="argon2")

T = TypeVar("T")


async def _in_pool(function: Callable[..., T], *args: str) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


async def hash_password(password: str) -> str:
    return await _in_pool(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await _in_pool(_hasher.verify, password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A throwaway hash so that logins for unknown emails cost the same time as real ones.
_DUMMY_HASH = _hasher.hash("reelgraph-timing-equaliser")


async def burn_verify_time(password: str) -> None:
    await verify_password(_DUMMY_HASH, password)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be at most {MAX_PASSWORD_LENGTH} characters."
    if len(set(password)) < 4:
        return "Password is too repetitive."
    return None
