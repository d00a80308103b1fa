"""Read-your-writes marks: the primary's WAL position after a user's last write, shared by
every server process through Redis (as GitLab's load balancer keeps its "write location"
per user). A reader with a mark is served by a replica only once that replica has replayed
the primary's WAL up to it; a mark outlives the longest lag a serving replica may have.

Redis away: a mark that cannot be stored is kept in this process, and for a mark's
lifetime every reader with no mark known is sent to the primary too (the mark may be in
another process's memory), so a failure of Redis costs replica reads, never a vanished post.
"""

from __future__ import annotations

import logging
import time

from microblog.store.redis_client import RedisClient, failures

log = logging.getLogger(__name__)

PREFIX = "mb:ryw"

# Keeps the larger of the stored and the given position (two processes may store marks of
# one user out of order); positions are 16 hex digits, so text order is number order.
_PUT = """
local current = redis.call('GET', KEYS[1])
if (not current) or ARGV[1] > current then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
    redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class Unknown(Exception):
    """The marks cannot be read now (Redis away, or lost a mark lately)."""


class WriteMarks:
    """Each user's last write position, for ``ttl_seconds`` after it."""

    def __init__(self, client: RedisClient, ttl_seconds: float) -> None:
        self.client = client
        self.ttl = max(1, round(ttl_seconds))
        self._put = client.register_script(_PUT)
        self._errors = failures(client)
        self._local: dict[int, tuple[int, float]] = {}
        self._blind_until = 0.0

    @staticmethod
    def _key(user_id: int) -> str:
        return f"{PREFIX}:{user_id}"

    async def put(self, user_id: int, lsn: int) -> None:
        """Remember that the user wrote up to WAL position ``lsn``."""
        now = time.monotonic()
        self._remember(user_id, lsn, now)
        try:
            await self._put(keys=[self._key(user_id)], args=[f"{lsn:016x}", self.ttl])
        except self._errors as exc:
            if self._blind_until < now:
                log.warning("Redis unavailable (%s): replicas skipped for marked readers", exc)
            self._blind_until = now + self.ttl

    async def get(self, user_id: int) -> int:
        """The user's mark (0: none); ``Unknown`` when a mark may exist but cannot be read."""
        now = time.monotonic()
        local = self._local.get(user_id)
        mine = local[0] if local is not None and local[1] > now else 0
        if now < self._blind_until:
            if mine:
                return mine
            raise Unknown
        try:
            raw = await self.client.get(self._key(user_id))
        except self._errors as exc:
            log.warning("Redis unavailable (%s): marked readers read on the primary", exc)
            self._blind_until = now + self.ttl
            raise Unknown from exc
        shared = int(raw, 16) if raw else 0
        return max(mine, shared)

    def _remember(self, user_id: int, lsn: int, now: float) -> None:
        if len(self._local) > 100_000:  # bounded: drop the expired ones, or all of them
            self._local = {u: m for u, m in self._local.items() if m[1] > now}
            if len(self._local) > 100_000:
                self._local.clear()
        old = self._local.get(user_id)
        if old is None or old[1] <= now or old[0] < lsn:
            self._local[user_id] = (lsn, now + self.ttl)
