"""The pluggable feed engine: one interface, one module per strategy, and a registry."""

from microblog.feeds.base import FeedStrategy, Window
from microblog.feeds.engine import FeedEngine, IdPage
from microblog.feeds.registry import available, load

__all__ = ["FeedEngine", "FeedStrategy", "IdPage", "Window", "available", "load"]
