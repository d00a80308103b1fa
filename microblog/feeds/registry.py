"""Finds feed strategies by name, and builds the engine the settings describe.

Strategies come from the ``microblog.feed_strategies`` entry points (the built-in ones are
registered in pyproject.toml exactly as an external package would register its own), or
from ``register`` in the running process (a test's strategy, say). Either way a strategy
is one class: the engine, the tools and the benchmark need nothing else from it.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from psycopg_pool import AsyncConnectionPool

from microblog.domain.types import Conn
from microblog.feeds.base import FeedJobs, FeedStrategy
from microblog.feeds.engine import FeedEngine
from microblog.feeds.pull import PullStrategy
from microblog.settings import Settings, SettingsError
from microblog.store.bus import Bus
from microblog.store.cache import FeedCache
from microblog.store.redis_client import RedisClient

GROUP = "microblog.feed_strategies"
_registered: dict[str, type[FeedStrategy]] = {}


def register(strategy: type[FeedStrategy]) -> type[FeedStrategy]:
    """Make a strategy class available by its ``name`` in this process (usable as a
    decorator); an installed one of the same name is shadowed."""
    _registered[strategy.name] = strategy
    return strategy


def unregister(name: str) -> None:
    """Forget a strategy registered with ``register``."""
    _registered.pop(name, None)


def available() -> list[str]:
    """Names of every installed or registered strategy."""
    return sorted({ep.name for ep in entry_points(group=GROUP)} | set(_registered))


def strategy_class(name: str) -> type[FeedStrategy]:
    """The class of the strategy called ``name``; ``SettingsError`` when there is none."""
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, FeedStrategy)):
                raise SettingsError(f"feed strategy {name!r} does not implement FeedStrategy")
            return cls
    raise SettingsError(f"feed strategy {name!r} is unknown; available: {', '.join(available())}")


def load(name: str, settings: Settings, jobs: FeedJobs) -> FeedStrategy:
    """An instance of the strategy called ``name``."""
    return strategy_class(name)(settings, jobs)


def make_engine(
    settings: Settings,
    pool: AsyncConnectionPool[Conn],
    jobs: FeedJobs,
    redis_client: RedisClient | None,
    strategy: str | None = None,
    bus: Bus | None = None,
) -> FeedEngine:
    """The engine for the settings (or for ``strategy`` instead of the configured one)."""
    settings.check_feeds()
    serving = load(strategy or settings.feed_strategy, settings, jobs)
    maintained = [load(name, settings, jobs) for name in settings.dual_write]
    pull = serving if isinstance(serving, PullStrategy) else PullStrategy(settings, jobs)
    cache = None
    if settings.feed_cache == "redis" and redis_client is not None:
        cache = FeedCache(redis_client, settings.feed_cache_ttl_seconds)
    return FeedEngine(
        serving,
        maintained,
        pull,
        pool,
        jobs,
        cache=cache,
        rollout_percent=settings.feed_rollout_percent,
        batch=settings.fanout_batch,
        bus=bus,
        large_followers=settings.fanout_large_followers,
    )
