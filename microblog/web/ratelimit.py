"""Rate limits: how many requests, log-ins, sign-ups and posts a client may make in a window.

Mastodon's limits by default (``MICROBLOG_RATE_LIMIT_*``): 300 requests in 5 minutes per
client address without a logged-in user, 1,500 per account with one, 25 log-in attempts in
5 minutes per address and per username, 25 sign-ups in 30 minutes per address, 300 posts in
3 hours per account. Counted by the ``limits`` library in fixed windows (a window starts
at the first hit of its key), in Redis (shared by every server process; keys under
``MICROBLOG_RATE_LIMIT_KEY_PREFIX``) or in the process's memory. A request over a limit is
answered 429 with ``Retry-After`` and ``X-RateLimit-Limit``/``-Remaining``/``-Reset``.

On a Redis Cluster (``MICROBLOG_REDIS_CLUSTER``) the counts live on the cluster, each key on
the master of its slot (every count is one key: a fixed window needs no multi-key script),
through a cluster client of the limiter's own.

When the storage fails (Redis away, a master failing over) the limits fail open: requests
pass unchecked, a warning is logged (once a minute at most), and the storage is tried again
after a few seconds, so an outage of Redis never takes the site down or slows every
request.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisClusterStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError

from microblog.domain.errors import RateLimited
from microblog.domain.models import User
from microblog.settings import RATE_LIMITS, IPNetwork, Settings
from microblog.web.deps import PageUser, TokenUser

log = logging.getLogger(__name__)
# After the storage failed, requests pass unchecked this long before it is tried again.
STORAGE_RETRY_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
# A cluster storage's client gives up as fast as the runtime's (store/redis_client.py).
CLUSTER_TIMEOUT_SECONDS = 0.25
# What each limit tells the client it did too often.
MESSAGES = {
    "ip": "Too many requests from your address",
    "account": "Too many requests from your account",
    "login": "Too many log-in attempts",
    "signup": "Too many sign-ups from your address",
    "post": "You have posted too often",
}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Limiter:
    """The configured limits over one storage; ``storage`` None turns them all off."""

    def __init__(
        self,
        storage: Storage | None,
        limits: dict[str, RateLimitItem | None],
        trusted_proxies: Sequence[IPNetwork] = (),
    ) -> None:
        self.storage = storage
        self.limits = limits
        self.trusted_proxies = tuple(trusted_proxies)
        self._counter = FixedWindowRateLimiter(storage) if storage is not None else None
        self._skip_until = 0.0
        self._warned_at = -WARN_EVERY_SECONDS

    async def request(self, request: Request, user: User | None) -> None:
        """Count a request: against its account when a user is logged in or holds a token,
        else against its client address."""
        if user is not None:
            await self.hit("account", str(user.id))
        else:
            await self.hit("ip", self.client(request))

    async def login(self, request: Request, username: object) -> None:
        """Count a log-in attempt against the client address and the username (any case)."""
        await self.hit("login", "ip", self.client(request))
        if isinstance(username, str) and username.strip():
            await self.hit("login", "user", username.strip().lower())

    async def signup(self, request: Request) -> None:
        """Count a sign-up against the client address."""
        await self.hit("signup", self.client(request))

    async def post(self, user_id: int) -> None:
        """Count a post (or reply) against its author."""
        await self.hit("post", str(user_id))

    async def hit(self, name: str, *key: str) -> None:
        """Count one more against limit ``name`` for ``key``; ``RateLimited`` when over it."""
        item = self.limits.get(name)
        if item is None or self._counter is None or time.monotonic() < self._skip_until:
            return
        try:
            if await self._counter.hit(item, name, *key):
                return
            stats = await self._counter.get_window_stats(item, name, *key)
        except (StorageError, RedisClusterException, OSError, TimeoutError) as exc:
            self._storage_failed(exc)
            return
        except Exception as exc:
            # A Redis Cluster's client may raise anything while a failover goes on
            # (redis-py 8.1 closes connections other commands are sending on).
            if not isinstance(self.storage, RedisClusterStorage):
                raise
            self._storage_failed(exc)
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        reset = datetime.fromtimestamp(stats.reset_time, UTC)
        raise RateLimited(
            f"{MESSAGES[name]}; try again in {wait_text(retry_after)}",
            retry_after,
            {
                "X-RateLimit-Limit": str(item.amount),
                "X-RateLimit-Remaining": str(stats.remaining),
                "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"
                ),
            },
        )

    async def aclose(self) -> None:
        """Close what the limiter opened itself (a Redis Cluster storage's client)."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if isinstance(self.storage, RedisClusterStorage) and client is not None:
            with contextlib.suppress(RedisError, OSError):
                await client.aclose()

    def _storage_failed(self, exc: Exception) -> None:
        now = time.monotonic()
        self._skip_until = now + STORAGE_RETRY_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            cause = getattr(exc, "storage_error", exc)
            log.warning(
                "rate limits not enforced: their storage failed (%s: %s); requests pass "
                "unchecked, retrying in %.0f s",
                type(cause).__name__,
                cause,
                STORAGE_RETRY_SECONDS,
            )

    def client(self, request: Request) -> str:
        """The key of the client's address: the socket peer, or, when the peer is a trusted
        proxy, the nearest untrusted address of ``X-Forwarded-For``. IPv6 addresses count by
        their /64 (what one subscriber usually gets)."""
        peer = request.client.host if request.client is not None else ""
        address = _address(peer)
        if address is None:
            return peer or "unknown"
        if self._trusted(address):
            hops = request.headers.get("x-forwarded-for", "").split(",")
            for hop in reversed([h.strip() for h in hops if h.strip()]):
                forwarded = _address(hop)
                if forwarded is None:
                    break
                address = forwarded
                if not self._trusted(address):
                    break
        if isinstance(address, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((address, 64), strict=False))
        return str(address)

    def _trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted_proxies)


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def wait_text(seconds: int) -> str:
    """A wait in words, rounded up: "40 seconds", "5 minutes", "3 hours"."""
    if seconds < 60:
        count, unit = seconds, "second"
    elif seconds <= 90 * 60:
        count, unit = math.ceil(seconds / 60), "minute"
    else:
        count, unit = math.ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def open_limiter(
    settings: Settings, redis_client: aioredis.Redis | RedisCluster | None = None
) -> Limiter:
    """The limiter the settings ask for. On one Redis server the storage shares the
    connection pool of ``redis_client`` (the runtime's, whose short timeouts keep a Redis
    outage from stalling requests); on a cluster it has a client of its own, with the same
    timeouts (``Limiter.aclose`` closes it)."""
    limits = {name: settings.rate_limit(name) for name in RATE_LIMITS}
    trusted = settings.trusted_proxy_networks
    if not settings.rate_limits:
        return Limiter(None, limits, trusted)
    storage: Storage
    if settings.rate_limit_storage == "memory":
        storage = MemoryStorage()
    elif settings.redis_cluster:
        # Any node (with its credentials): the cluster client finds the others.
        node = urlsplit(settings.redis_url).netloc
        storage = RedisClusterStorage(
            f"async+redis+cluster://{node}",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=settings.rate_limit_key_prefix,
            socket_timeout=CLUSTER_TIMEOUT_SECONDS,
            socket_connect_timeout=CLUSTER_TIMEOUT_SECONDS,
        )
    else:
        options: dict[str, object] = {}
        if isinstance(redis_client, aioredis.Redis):
            options["connection_pool"] = redis_client.connection_pool
        storage = RedisStorage(
            f"async+{settings.redis_url}",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=settings.rate_limit_key_prefix,
            **options,  # type: ignore[arg-type]
        )
    return Limiter(storage, limits, trusted)


def limiter(request: Request) -> Limiter:
    """The app's limiter (made when the app starts)."""
    return request.app.state.limiter  # type: ignore[no-any-return]


async def limit_api_request(request: Request, user: TokenUser) -> None:
    """Every API and OAuth request counts: per account with a valid token, else per address.
    (A bad token counts per address; the endpoint then refuses it.)"""
    await limiter(request).request(request, user)


async def limit_page_request(request: Request, user: PageUser) -> None:
    """Every page request counts: per account when logged in, else per address."""
    await limiter(request).request(request, user)


# For ``include_router(..., dependencies=...)``: they run before each endpoint's own.
API_LIMITS: list[DependsParam] = [Depends(limit_api_request)]
PAGE_LIMITS: list[DependsParam] = [Depends(limit_page_request)]
