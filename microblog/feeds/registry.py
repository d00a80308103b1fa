"""Finds feed strategies by name through the ``microblog.feed_strategies`` entry points, and
builds the engine the settings describe.

The built-in strategies are registered in pyproject.toml exactly as an external package
would register its own, so there is one way to load any strategy.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from microblog.feeds.base import Deferrer, FeedStrategy
from microblog.feeds.engine import FeedEngine
from microblog.feeds.pull import PullStrategy
from microblog.settings import Settings, SettingsError
from microblog.store.cache import FeedCache
from microblog.store.db import Conn

GROUP = "microblog.feed_strategies"


def available() -> list[str]:
    """Names of every installed strategy."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load(name: str, settings: Settings, defer: Deferrer) -> FeedStrategy:
    """An instance of the strategy called ``name``."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            strategy = ep.load()(settings, defer)
            if not isinstance(strategy, FeedStrategy):
                raise SettingsError(f"feed strategy {name!r} does not implement FeedStrategy")
            return strategy
    raise SettingsError(f"feed strategy {name!r} is unknown; available: {', '.join(available())}")


def make_engine(
    settings: Settings,
    pool: AsyncConnectionPool[Conn],
    defer: Deferrer,
    redis_client: aioredis.Redis | None,
    strategy: str | None = None,
) -> FeedEngine:
    """The engine for the settings (or for ``strategy`` instead of the configured one)."""
    settings.check_feeds()
    serving = load(strategy or settings.feed_strategy, settings, defer)
    maintained = [load(name, settings, defer) for name in settings.dual_write]
    pull = serving if isinstance(serving, PullStrategy) else PullStrategy(settings, defer)
    cache = None
    if settings.feed_cache == "redis" and redis_client is not None:
        cache = FeedCache(redis_client, settings.feed_cache_ttl_seconds)
    return FeedEngine(
        serving,
        maintained,
        pull,
        pool,
        defer,
        cache=cache,
        rollout_percent=settings.feed_rollout_percent,
        batch=settings.fanout_batch,
    )
