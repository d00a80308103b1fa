"""Value types every layer may use: the connection type, feed windows and feed modes.

A leaf module (like starlette's ``types.py``): it imports nothing above ``domain/``, so no
layer has to import a higher one for a type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from microblog.domain.models import FeedMode
from microblog.domain.rules import MAX_ID

Conn: TypeAlias = AsyncConnection[DictRow]
"""A PostgreSQL connection that returns rows as dicts (autocommit unless in a transaction)."""


@dataclass(frozen=True, slots=True)
class Window:
    """The ids a page may hold: strictly between ``above`` and ``below``.

    A page is taken from the newest end of the window, or from the oldest end when
    ``oldest_first`` (Mastodon's ``min_id``: the posts right after a known one). Pages are
    always returned newest first either way.
    """

    above: int = 0
    below: int = MAX_ID
    oldest_first: bool = False

    @property
    def empty(self) -> bool:
        """Whether no id fits strictly between the bounds."""
        return self.below - self.above <= 1


__all__ = ["Conn", "FeedMode", "Window"]
