"""The pluggable feed engine: one interface, one module per strategy, and a registry."""

from microblog.feeds.base import FeedJobs, FeedStrategy, Traits
from microblog.feeds.change import FeedChange
from microblog.feeds.engine import FeedEngine, IdPage
from microblog.feeds.registry import (
    available,
    load,
    make_engine,
    register,
    strategy_class,
    unregister,
)

__all__ = [
    "FeedChange",
    "FeedEngine",
    "FeedJobs",
    "FeedStrategy",
    "IdPage",
    "Traits",
    "available",
    "load",
    "make_engine",
    "register",
    "strategy_class",
    "unregister",
]
