"""The pluggable feed engine: one interface, one module per strategy, and a registry."""

from microblog.feeds.base import Deferrer, FeedStrategy, Window
from microblog.feeds.engine import FeedEngine, IdPage
from microblog.feeds.registry import available, load, make_engine

__all__ = [
    "Deferrer",
    "FeedEngine",
    "FeedStrategy",
    "IdPage",
    "Window",
    "available",
    "load",
    "make_engine",
]
