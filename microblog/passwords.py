"""Password hashing with argon2, off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real digest of a random password: verified against when the username does not exist.
DUMMY_DIGEST = (
    "$argon2id$v=19$m=65536,t=3,p=4$skbj3RkUGzD+ppT/3/0lDw$"
    "E/Adp8XCYNyEYni6OzG6Tdws5YkVaV697b+16t2MIUk"
)


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
