"""Each race found under concurrent use, forced with a pause between statements.

A change is held open inside ``engine.change`` (its transaction uncommitted) while the other
side runs; then it commits and the pages are compared with pull. Each test fails without
the lock or guard that fixes its race (see "Ordering rule" in docs/feeds.md).
"""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest
from psycopg import errors

from microblog.domain.types import FeedMode, Window
from microblog.runtime import open_runtime
from microblog.settings import Settings
from microblog.store import follows, posts
from microblog.store.push import PushStore
from tests.conftest import Runtime, open_test_runtime
from tests.integration.network import make_active_users
from tests.integration.test_strategies_equal import check_equal

PUSH = ["fanout", "hybrid"]
PAUSE = 0.3  # long enough for the other side to run (or to block) meanwhile


async def first_read(runtime: Runtime, reader: int) -> None:
    """The reader's first home read: claims a feed and queues its build (not run yet)."""
    await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 20)


async def build_during(runtime: Runtime, verb: str, reader: int, author: int) -> None:
    """Follow or unfollow, and while its transaction is still open, build the reader's feed
    (the job a first read queued). The build must wait for the change to commit."""
    name = runtime.engine.serving.name
    async with runtime.pool.connection() as conn, runtime.engine.change(conn) as change:
        if verb == "follow":
            assert await follows.follow(conn, reader, author)
            await change.followed(reader, author)
        else:
            assert await follows.unfollow(conn, reader, author)
            await change.unfollowed(reader, author)
        build = asyncio.create_task(runtime.engine.build(name, reader))
        await asyncio.sleep(PAUSE)
        assert not build.done(), "the build did not wait for the follow change"
    await build


@pytest.mark.parametrize("name", PUSH)
async def test_a_build_racing_an_unfollow_keeps_none_of_the_unfollowed_posts(
    settings: Settings, name: str
) -> None:
    async with open_test_runtime(settings.replace(feed_strategy=name)) as runtime:
        reader, author = make_active_users(settings.database_url, 2, "r")
        await runtime.microblog.follow(reader, author)
        for i in range(3):
            await runtime.microblog.create_post(author, f"p{i}", None)
        await first_read(runtime, reader)
        await build_during(runtime, "unfollow", reader, author)
        await runtime.drain()
        await check_equal(runtime, [reader, author])


@pytest.mark.parametrize("name", PUSH)
async def test_a_build_racing_a_follow_misses_none_of_the_followed_posts(
    settings: Settings, name: str
) -> None:
    capped = settings.replace(feed_strategy=name, feed_cap=5)
    async with open_test_runtime(capped) as runtime:
        reader, old, new = make_active_users(settings.database_url, 3, "r")
        await runtime.microblog.follow(reader, old)
        for i in range(8):
            await runtime.microblog.create_post(old, f"old {i}", None)
        for i in range(8):  # newer than all of old's: above any floor the build can choose
            await runtime.microblog.create_post(new, f"new {i}", None)
        await first_read(runtime, reader)
        await runtime.drain()  # built; forget it so that the next read claims it again
        async with runtime.pool.connection() as conn:
            await runtime.engine.serving.forget(conn, reader)
        await first_read(runtime, reader)
        await build_during(runtime, "follow", reader, new)
        await runtime.drain()
        await check_equal(runtime, [reader])


async def test_follow_and_follow_back_at_once_never_deadlock(settings: Settings) -> None:
    config = settings.replace(feed_strategy="fanout")
    async with open_runtime(config, pool_max=12) as runtime:
        people = make_active_users(settings.database_url, 5, "r")
        pairs = [(a, b) for a in people for b in people if a != b]
        blog = runtime.microblog
        for _ in range(6):  # every pair both ways at once: u -> v races v -> u
            await asyncio.gather(*(blog.follow(a, b) for a, b in pairs))
            await asyncio.gather(*(blog.unfollow(a, b) for a, b in pairs))
        await asyncio.gather(*(blog.follow(a, b) for a, b in pairs[::2]))
        await runtime.drain()
        await check_equal(runtime, people)


async def test_a_deadlock_is_retried_not_answered(settings: Settings) -> None:
    async with open_test_runtime(settings.replace(feed_strategy="fanout")) as runtime:
        a, b = make_active_users(settings.database_url, 2, "r")
        # Another transaction holds b's row and then asks for a's, while the follow holds a's
        # and waits for b's: PostgreSQL aborts one of them for a deadlock.
        other = await psycopg.AsyncConnection.connect(settings.database_url)
        try:
            await other.execute("SELECT 1 FROM users WHERE id = %s FOR NO KEY UPDATE", (b,))
            follow = asyncio.create_task(runtime.microblog.follow(a, b))
            await asyncio.sleep(PAUSE)  # the follow now holds a and waits for b
            with contextlib.suppress(errors.DeadlockDetected):  # if PostgreSQL picks this one
                await other.execute("SELECT 1 FROM users WHERE id = %s FOR NO KEY UPDATE", (a,))
            await other.rollback()
            followed = await follow
        finally:
            await other.close()
        assert followed.followers_count == 1


@pytest.mark.parametrize("name", PUSH)
async def test_a_floor_raise_that_waited_never_lowers_the_floor(
    settings: Settings, name: str
) -> None:
    async with open_test_runtime(settings.replace(feed_strategy=name)) as runtime:
        reader, author = make_active_users(settings.database_url, 2, "r")
        await runtime.microblog.follow(reader, author)
        ids = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(6)]
        await first_read(runtime, reader)
        await runtime.drain()  # built: floor 0, every post pushed
        state, entries = runtime.engine.serving.tables[:2]
        store = PushStore(state, entries, settings.feed_chunk)
        trim = await psycopg.AsyncConnection.connect(settings.database_url)
        try:
            # A trim raises the floor to ids[4] and holds the row ...
            await trim.execute(
                f"UPDATE {state} SET floor = %s WHERE user_id = %s",  # noqa: S608
                (ids[4], reader),
            )
            async with runtime.pool.connection() as conn:

                async def backfill() -> None:
                    # ... while a backfill with a cap of 3, from the floor it read (0),
                    # would set it to the 4th newest post: ids[2], below the trim's.
                    async with conn.transaction():
                        await store.backfill(conn, [reader], author, 3)

                task = asyncio.create_task(backfill())
                await asyncio.sleep(PAUSE)
                assert not task.done(), "the backfill did not wait for the trim"
                await trim.commit()
                await task
        finally:
            await trim.close()
        with psycopg.connect(settings.database_url) as conn:
            row = conn.execute(
                f"SELECT floor FROM {state} WHERE user_id = %s",  # noqa: S608
                (reader,),
            ).fetchone()
        assert row == (ids[4],)


async def test_a_refresh_waits_for_posts_still_in_flight(settings: Settings) -> None:
    config = settings.replace(feed_strategy="matview", matview_per_reader=50)
    async with open_test_runtime(config) as runtime:
        reader, author, other = make_active_users(settings.database_url, 3, "r")
        await runtime.microblog.follow(reader, author)
        await runtime.microblog.follow(reader, other)
        await runtime.microblog.create_post(author, "before", None)
        async with runtime.pool.connection() as slow:
            async with slow.transaction():
                # A post whose id is handed out now but which commits only after ...
                await posts.create(slow, author, "slow to commit", None)
                # ... a later post commits, so that the later id is the highest one.
                await runtime.microblog.create_post(other, "quick", None)
                refresh = asyncio.create_task(runtime.engine.maintain())
                await asyncio.sleep(PAUSE)
                assert not refresh.done(), "the refresh did not wait for the slow post"
            await refresh
        await check_equal(runtime, [reader])
