"""Password hashing with argon2, off the event loop."""

from __future__ import annotations

import functools
import gzip
import math
from collections.abc import Callable
from importlib import resources
from typing import TypeVar

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from microblog.domain.errors import Busy

T = TypeVar("T")
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
    return await anyio.to_thread.run_sync(_matches, digest, password)


def _matches(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(digest: str) -> bool:
    """Whether the digest was made with older parameters."""
    return _hasher.check_needs_rehash(digest)


@functools.cache
def common() -> frozenset[str]:
    """The 20,000 most common passwords, lowercased (bundled; see microblog/data/README.md)."""
    data = resources.files("microblog") / "data" / "common-passwords.txt.gz"
    return frozenset(gzip.decompress(data.read_bytes()).decode().splitlines())


class BoundedHashing:
    """Hashes and checks passwords with at most ``concurrency`` at a time in this process.

    Each argon2 run holds 64 MiB (``m=65536``) while it lasts (~0.15 s on 2 cores), so
    without a bound a burst of log-ins costs memory without end: 120 at once took a server
    from 174 MiB to 2.3 GiB (only anyio's 40 worker threads held it back). A caller that
    finds every slot taken waits up to ``wait_seconds`` for one, then gets ``Busy`` (503
    with ``Retry-After``). ``running`` and ``most_running`` (its high-water mark) tell how
    many ran at once.
    """

    def __init__(self, concurrency: int = 2, wait_seconds: float = 2.0) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds
        self.running = 0
        self.most_running = 0
        self._slots = anyio.Semaphore(concurrency)

    async def hash(self, password: str) -> str:
        """An argon2id hash of ``password``."""
        return await self._run(_hasher.hash, password)

    async def verify(self, digest: str, password: str) -> bool:
        """Whether ``password`` matches ``digest``."""
        return await self._run(_matches, digest, password)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        acquired = False
        with anyio.move_on_after(self.wait_seconds):
            await self._slots.acquire()
            acquired = True
        if not acquired:
            raise Busy(
                "The server is busy checking passwords; try again in a few seconds",
                max(1, math.ceil(self.wait_seconds)),
            )
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            # Not abandoned on cancellation: the slot stays taken while the thread works.
            return await anyio.to_thread.run_sync(work, *args)
        finally:
            self.running -= 1
            self._slots.release()
