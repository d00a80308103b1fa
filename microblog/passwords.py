"""Password hashing with argon2, off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify(digest: str, password: str) -> bool:
    """Whether ``password`` matches ``digest``."""

    def check() -> bool:
        try:
            return _hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def needs_rehash(digest: str) -> bool:
    """Whether the digest was made with older parameters."""
    return _hasher.check_needs_rehash(digest)
