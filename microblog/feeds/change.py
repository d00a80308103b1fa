"""One write's work for the feed engine, driven by one context.

``FeedEngine.change(conn)`` opens the write's transaction and yields a ``FeedChange``. The
service reports what it changed through it; each report runs the strategies' hooks and
queues background work inside the transaction, and records which cached pages the change
makes stale. Those are dropped only after the transaction commits (never before: a reader
could cache the old page again), and not at all when it rolls back. There is no other way
to report a change, so no write can do half of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from microblog.domain.types import Conn
from microblog.feeds import live
from microblog.feeds.base import FeedJobs, FeedStrategy
from microblog.store import follows, outbox
from microblog.store.bus import Bus, Message
from microblog.store.cache import FeedCache


@dataclass
class FeedChange:
    """What one write changed; hooks run as it is told, invalidation after commit."""

    conn: Conn
    maintained: Sequence[FeedStrategy]
    jobs: FeedJobs
    cache: FeedCache | None
    background_posts: bool
    bus: Bus | None = None
    # Posts of authors with at least this many followers fan out on the large queue (None:
    # none does).
    large_followers: int | None = None
    stale_readers: set[int] = field(default_factory=set)
    stale_everyone: bool = False
    # Account deletions: every cache key of the accounts goes, and so does every page of
    # their followers (those who read lately: others have none) that may show their posts.
    gone_readers: set[int] = field(default_factory=set)
    gone_audience: set[int] = field(default_factory=set)
    # Said on the live bus after the commit (see ``live_messages``).
    created: list[int] = field(default_factory=list)
    deleted: list[tuple[int, int, bool]] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    notifications: list[tuple[int, int]] = field(default_factory=list)
    # The outbox queues (large or not) this change put posts in.
    queued: set[bool] = field(default_factory=set)
    _open: bool = True

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("a FeedChange is used only inside its engine.change() block")

    async def post_created(self, post_id: int, author_id: int, top_level: bool) -> None:
        """A post was inserted: queued for fan-out; the author's own pages are stale now,
        followers' pages after the fan-out job. It waits in the outbox's large queue when
        its author has many followers; the queue's job is made sure of at the end of the
        transaction (``_committing``)."""
        self._check_open()
        if self.background_posts:
            large = await outbox.put(self.conn, post_id, author_id, self.large_followers)
            self.queued.add(large)
        self.stale_readers.add(author_id)
        self.stale_everyone |= top_level
        self.created.append(post_id)

    async def post_deleted(self, post_id: int, author_id: int, public: bool = False) -> None:
        """A post was deleted: removed from feed state and followers' pages by a job.
        ``public``: it was a public post, not a boost (the public streams showed it)."""
        self._check_open()
        if self.background_posts:
            await self.jobs.post_deleted(self.conn, post_id, author_id)
        self.stale_readers.add(author_id)
        self.stale_everyone = True
        self.deleted.append((post_id, author_id, public))

    async def post_edited(self, post_id: int, *readers: int) -> None:
        """A post's text changed (no feed holds text: nothing to maintain); ``readers``
        (whose mention of it came or went) may see it differently in their cached pages."""
        self._check_open()
        self.stale_readers.update(readers)
        self.edited.append(post_id)

    async def notified(self, made: Sequence[tuple[int, int]]) -> None:
        """Notifications were made: (id, recipient) of each, for the live streams."""
        self._check_open()
        self.notifications.extend(made)

    async def followed(self, follower_id: int, followed_id: int) -> None:
        """A follow was added."""
        self._check_open()
        for strategy in self.maintained:
            await strategy.followed(self.conn, follower_id, followed_id)
        self.stale_readers.add(follower_id)

    async def unfollowed(self, follower_id: int, followed_id: int) -> None:
        """A follow was removed."""
        self._check_open()
        for strategy in self.maintained:
            await strategy.unfollowed(self.conn, follower_id, followed_id)
        self.stale_readers.add(follower_id)

    async def hidden_changed(self, *reader_ids: int) -> None:
        """A mute or block began or ended: these readers' pages change (every strategy
        filters hidden authors when it reads, so no state changes; cached pages do)."""
        self._check_open()
        self.stale_readers.update(reader_ids)

    async def user_deleted(self, user_id: int) -> None:
        """An account is being deleted: reported before its rows are, while its posts and
        follows can still be read. Its posts waiting in the outbox leave it, every strategy
        drops what it keeps about it (``user_deleted``) and one job does the rest after the
        commit (``remove_user``); after the commit its cache keys go, with the cached pages
        of its followers and All (invalidated, and deleted too: no key keeps its post ids)."""
        self._check_open()
        await outbox.drop_author(self.conn, user_id)
        for strategy in self.maintained:
            await strategy.user_deleted(self.conn, user_id)
        await self.jobs.account_deleted(self.conn, user_id)
        if self.cache is not None:
            self.gone_audience.update(await follows.follower_ids(self.conn, user_id))
        self.gone_readers.add(user_id)
        self.stale_everyone = True

    def live_messages(self) -> list[Message]:
        """What the live bus hears of this change once it is committed: new posts when they
        are in the feeds already (no fan-out job; else the job says it, see
        ``FeedEngine.process_posts``), deletions and notifications."""
        said: list[Message] = []
        if self.created and not self.background_posts:
            said.append(live.posts_message(self.created))
        said += [live.delete_message(*deleted) for deleted in self.deleted]
        if self.edited:
            said.append(live.edited_message(self.edited))
        if self.notifications:
            said.append(live.notifications_message(self.notifications))
        return said

    async def _committing(self) -> None:
        # Last, after every other lock the change takes: a share of each queue's lock (so
        # that a job that found the queue empty waits for this commit before it stops),
        # then a job of the queue, unless one is waiting to start already (it will take
        # these posts: it cannot stop before this commit).
        for large in sorted(self.queued):
            await self.jobs.posts_published(self.conn, large, hold=True)
        if self.bus is not None:
            await self.bus.publish_in(self.conn, self.live_messages())

    async def _committed(self) -> None:
        if self.bus is not None:
            await self.bus.publish_after(self.live_messages())
        if self.cache is None:
            return
        if self.stale_readers or self.stale_everyone:
            await self.cache.invalidate(sorted(self.stale_readers), everyone=self.stale_everyone)
        if self.gone_readers:
            await self.cache.forget_readers(self.gone_readers, self.gone_audience)


@contextlib.asynccontextmanager
async def feed_change(
    conn: Conn,
    maintained: Sequence[FeedStrategy],
    jobs: FeedJobs,
    cache: FeedCache | None,
    background_posts: bool,
    bus: Bus | None = None,
    large_followers: int | None = None,
) -> AsyncIterator[FeedChange]:
    """The write's transaction on ``conn``, with the change to report into it."""
    change = FeedChange(conn, maintained, jobs, cache, background_posts, bus, large_followers)
    try:
        async with conn.transaction():
            yield change
            await change._committing()
    finally:
        change._open = False
    await change._committed()
