"""The interface every feed strategy implements."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from microblog.domain.models import FeedMode
from microblog.domain.rules import MAX_ID
from microblog.settings import Settings
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


class Deferrer(Protocol):
    """Puts a job on the queue, inside the caller's transaction when ``conn`` is given."""

    async def __call__(self, conn: Conn | None, task: str, **kwargs: object) -> None: ...


class FeedStrategy(abc.ABC):
    """How feeds are stored and read. Every strategy returns the same pages for the same data.

    ``page`` returns at most ``limit`` post ids of the reader's feed inside ``window``,
    newest first. The change hooks run inside the transaction that made the change, so a
    strategy can record its work, or defer a job for it, atomically with the change. The
    ``process_*`` and ``maintain`` methods run later, in the job worker.
    """

    name: str
    wants_post_jobs = False
    """True when ``process_posts`` / ``process_deleted`` have work to do."""

    def __init__(self, settings: Settings, defer: Deferrer) -> None:
        self.settings = settings
        self.defer = defer

    @abc.abstractmethod
    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """Post ids of one page, newest first."""

    # Change hooks (in the change's transaction).

    async def post_created(
        self, conn: Conn, post_id: int, author_id: int, parent_id: int | None
    ) -> None:
        """A post was inserted."""

    async def post_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """A post was deleted."""

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """A follow was added."""

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """A follow was removed."""

    # Background work (in the job worker).

    async def process_posts(self, conn: Conn, post_ids: Sequence[int]) -> None:
        """Work left for later by ``post_created`` (fan-out), for a batch of new posts taken
        from the outbox in this transaction."""

    async def process_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """Work left for later by ``post_deleted`` (removal from feeds)."""

    async def warm(self, conn: Conn, reader_id: int) -> None:
        """Build a reader's precomputed feed."""

    async def rebuild(self, conn: Conn, reader_id: int) -> bool:
        """Build a reader's state from scratch now; False when there is none to build."""
        return False

    async def rebuild_all(self, conn: Conn) -> bool:
        """Build the state of every reader at once; False when it is built per reader."""
        return False

    async def maintain(self, conn: Conn) -> None:
        """Periodic upkeep (trim, retire, refresh)."""

    async def storage_bytes(self, conn: Conn) -> int:
        """Bytes of state this strategy keeps in PostgreSQL."""
        return 0

    async def close(self) -> None:
        """Release what the strategy holds."""
