"""Finds feed strategies by name through the ``microblog.feed_strategies`` entry points.

The built-in strategies are registered in pyproject.toml exactly as an external package
would register its own, so there is one way to load any strategy.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from microblog.feeds.base import FeedStrategy
from microblog.settings import Settings, SettingsError

GROUP = "microblog.feed_strategies"


def available() -> list[str]:
    """Names of every installed strategy."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load(name: str, settings: Settings) -> FeedStrategy:
    """An instance of the strategy called ``name``."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            factory = ep.load()
            strategy = factory(settings)
            if not isinstance(strategy, FeedStrategy):
                raise SettingsError(f"feed strategy {name!r} does not implement FeedStrategy")
            return strategy
    raise SettingsError(
        f"MICROBLOG_FEED_STRATEGY={name!r} is unknown; available: {', '.join(available())}"
    )
