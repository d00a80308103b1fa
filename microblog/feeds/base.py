"""The interface every feed strategy implements, and the jobs a strategy may ask for.

A strategy owns its state: the engine calls its hooks when follows change, new posts are
taken from the outbox or an account is deleted, and the tools (``microblog feeds
rebuild|verify``, the benchmark, the tests' clean-up) build, check, measure and forget that
state only through the lifecycle verbs below. None of them knows which tables a strategy
keeps.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from microblog.domain.types import Conn, FeedMode, Window
from microblog.settings import Settings
from microblog.store import posts

State = Literal["none", "per_reader", "shared"]


@dataclass(frozen=True, slots=True)
class Traits:
    """What a strategy keeps, for the engine and the tools that build and measure it.

    ``state``: ``none`` (pages computed at read time), ``per_reader`` (built and forgotten
    reader by reader) or ``shared`` (one structure built for every reader at once).
    ``fans_out``: new posts reach its state through ``fan_out`` jobs, so its pages lag the
    post by the queue's delay (the benchmark measures that lag).
    ``replica_reads``: its home pages may be read on a streaming replica (they only read,
    and only tables a replica holds: not ``UNLOGGED`` ones).
    """

    state: State = "none"
    fans_out: bool = False
    replica_reads: bool = True


class FeedJobs(Protocol):
    """The background work the engine and strategies may queue (the job queue implements it).

    With ``conn`` the job is queued inside that connection's transaction, so it exists
    exactly when the transaction commits.
    """

    async def posts_published(self, conn: Conn, large: bool, hold: bool = False) -> None:
        """Fan-out and cache invalidation of the posts waiting in the outbox's queue (large
        or not): a job of that queue, unless one is waiting to start already. ``hold``: in
        a post's transaction, which first takes its share of the queue's lock
        (``outbox.hold_and_wake``)."""

    async def post_deleted(self, conn: Conn, post_id: int, author_id: int) -> None:
        """Removal of a deleted post from feed state and cached pages."""

    async def build_feed(self, conn: Conn, strategy: str, reader_id: int) -> None:
        """Build one reader's state of the named strategy (once, however often asked)."""

    async def account_deleted(self, conn: Conn, user_id: int) -> None:
        """What is left of a deleted account's removal once it committed (``remove_user``)."""


class FeedStrategy(abc.ABC):
    """How home feeds are stored and read. Every strategy returns the same pages.

    Only ``page`` is required; a strategy that keeps state overrides the hooks it needs and
    the lifecycle verbs. Hooks named "in the change's transaction" run atomically with the
    follow (or account deletion) that caused them; ``fan_out``, ``remove_post`` and
    ``remove_user`` run in the job worker.
    """

    name: ClassVar[str]
    traits: ClassVar[Traits] = Traits()
    tables: tuple[str, ...] = ()
    """The PostgreSQL tables (and views) whose rows this strategy alone writes."""

    def __init__(self, settings: Settings, jobs: FeedJobs) -> None:
        self.settings = settings
        self.jobs = jobs

    @abc.abstractmethod
    async def page(
        self, conn: Conn, reader_id: int | None, mode: FeedMode, window: Window, limit: int
    ) -> list[int]:
        """At most ``limit`` post ids of the reader's feed inside ``window``, newest first."""

    def own_settings(self) -> Mapping[str, object]:
        """The settings this strategy reads, by name (reported beside its measurements)."""
        return {}

    # Hooks -------------------------------------------------------------------------------

    async def followed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """A follow was added (in the change's transaction)."""

    async def unfollowed(self, conn: Conn, follower_id: int, followed_id: int) -> None:
        """A follow was removed (in the change's transaction)."""

    async def fan_out(self, conn: Conn, post_ids: Sequence[int]) -> None:
        """New posts taken from the outbox in this transaction (strategies that fan out)."""

    async def remove_post(self, conn: Conn, post_id: int, author_id: int) -> None:
        """A deleted post leaves the state (pages already skip it: they join posts)."""

    async def user_deleted(self, conn: Conn, user_id: int) -> None:
        """An account is being deleted (in the change's transaction, while its posts and
        follows still exist; they go right after): drop the state that names it, as a reader
        or as an author, or names one of its posts.

        Without state there is nothing to do. With state, the default is made of the verbs
        every strategy has: ``remove_post`` for each of its posts, then ``forget`` it as a
        reader; one statement per post, so the built-in strategies override it with a few
        set-based ones. A strategy that keeps something else about authors overrides it.
        """
        if self.traits.state == "none":
            return
        for post_id in await posts.ids_by_author(conn, user_id):
            await self.remove_post(conn, post_id, user_id)
        await self.forget(conn, user_id)

    async def remove_user(self, conn: Conn, user_id: int) -> None:
        """A deleted account's removal committed (in the job worker, once per account):
        finish what its transaction could not do (wait for work in flight, refresh)."""

    async def maintain(self, conn: Conn) -> None:
        """Periodic upkeep (trim, retire, refresh)."""

    # Lifecycle ---------------------------------------------------------------------------

    async def is_built(self, conn: Conn, reader_id: int) -> bool:
        """Whether the reader's pages come from built state (always, without state)."""
        return True

    async def build(self, conn: Conn, reader_id: int | None) -> None:
        """Build the reader's state now; None (``shared`` state only): everyone's at once."""

    async def forget(self, conn: Conn, reader_id: int | None) -> None:
        """Drop the reader's state (every reader's for None); pages stay right meanwhile."""

    async def storage_bytes(self, conn: Conn) -> int:
        """Bytes of state this strategy keeps in PostgreSQL."""
        return 0

    async def entries(self, conn: Conn) -> int:
        """Feed entries of that state: one per (reader, post) it holds (none for pull)."""
        return 0
