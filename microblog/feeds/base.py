"""The interface every feed strategy implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from microblog.domain.models import FeedMode
from microblog.domain.rules import MAX_ID
from microblog.store.db import Conn


@dataclass(frozen=True, slots=True)
class Window:
    """The ids a page may hold: strictly between ``above`` and ``below``.

    A page is taken from the newest end of the window, or from the oldest end when
    ``oldest_first`` (Mastodon's ``min_id``: the posts right after a known one).
    """

    above: int = 0
    below: int = MAX_ID
    oldest_first: bool = False


class FeedStrategy(abc.ABC):
    """How feeds are stored and read. Every strategy returns the same pages for the same data.

    ``page`` returns at most ``limit`` post ids of the reader's feed inside ``window``,
    newest first. The event hooks run inside the transaction that made the change, so a
    strategy can record or enqueue its work atomically with it.
    """

    name: str

    @abc.abstractmethod
    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Post ids of one page, newest first."""

    async def post_created(
        self, conn: Conn, post_id: int, author_id: int, parent_id: int | None
    ) -> None:
        """A post was inserted (in this transaction)."""

    async def post_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """A post was deleted (in this transaction)."""

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """A follow was added (in this transaction)."""

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """A follow was removed (in this transaction)."""

    async def close(self) -> None:
        """Release what the strategy holds (connections, caches)."""
