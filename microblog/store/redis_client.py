"""The Redis client of a running microblog: one standalone server, or a Redis Cluster
(``MICROBLOG_REDIS_CLUSTER``, ``MICROBLOG_REDIS_URL`` naming any node of it).

Both give up fast: the feed cache is optional and PostgreSQL answers anyway, so a Redis
that does not answer must cost a request a fraction of a second, not its whole time.
"""

from __future__ import annotations

from typing import TypeAlias
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

# Seconds a command, or a connection, may take before Redis counts as away.
COMMAND_TIMEOUT = 0.25
CONNECT_TIMEOUT = 0.25
# Times a cluster command is tried again after a connection error, each time on a fresh
# view of the cluster (a master gone, its replica promoted): few, since each try may wait
# a timeout, and the caller falls back to PostgreSQL anyway.
CLUSTER_RETRIES = 2

RedisClient: TypeAlias = aioredis.Redis | RedisCluster
"""What the cache, the live bus and the runtime hold: either kind of client."""

# What a Redis away raises: a cluster client that reaches no node (or finds a slot that no
# node serves) raises ``RedisClusterException``, which is no ``RedisError``.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)
# What a cluster client may raise while a failover goes on: anything. redis-py 8.1 closes
# every connection of the client when it rebuilds its map of the cluster, those that other
# commands are sending on too (seen: ``AttributeError`` from a connection closed mid-send).
CLUSTER_ERRORS: tuple[type[Exception], ...] = (Exception,)


def failures(client: RedisClient) -> tuple[type[Exception], ...]:
    """The exceptions that mean "Redis did not answer" for this client."""
    return CLUSTER_ERRORS if is_cluster(client) else REDIS_ERRORS


def make_client(url: str, cluster: bool) -> RedisClient:
    """A client of the server (or the cluster) at ``url``, with short timeouts."""
    if cluster:
        return RedisCluster.from_url(
            url,
            socket_timeout=COMMAND_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=Retry(NoBackoff(), CLUSTER_RETRIES),
        )
    return aioredis.Redis.from_url(
        url, socket_timeout=COMMAND_TIMEOUT, socket_connect_timeout=CONNECT_TIMEOUT
    )


def is_cluster(client: RedisClient) -> bool:
    """Whether ``client`` talks to a Redis Cluster."""
    return isinstance(client, RedisCluster)


def address(url: str) -> tuple[str, int]:
    """The host and port a Redis URL names (6379 when it names none)."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def credentials(url: str) -> tuple[str | None, str | None]:
    """The user name and password a Redis URL carries, for a client of one node."""
    parts = urlsplit(url)
    return parts.username, parts.password
