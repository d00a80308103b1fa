"""The outbox of new posts: one job fans out every post waiting, jobs never wait for each
other, cached pages follow the posts a job actually took (for every strategy), and push
state emptied as crash recovery empties UNLOGGED tables is rebuilt without a wrong page."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.runtime import Runtime
from microblog.settings import Settings
from microblog.store import outbox
from tests.conftest import flush_cache, open_test_runtime
from tests.integration.test_feed_engine import ids, make_users, scalar


def entries(url: str, reader: int, chunks: str = "feed_chunks") -> int:
    """Post ids in a reader's chunks (repeats counted)."""
    query = f"SELECT coalesce(sum(cardinality(post_ids)), 0) FROM {chunks} WHERE user_id = %s"  # noqa: S608
    return scalar(url, query, reader)


async def reader_with_feed(runtime: Runtime, url: str, authors: int) -> tuple[int, list[int]]:
    """A reader following new authors, with a pushed feed built."""
    reader, *followed = make_users(url, 1 + authors)
    for author in followed:
        await runtime.microblog.follow(reader, author)
    await ids(runtime, reader)
    await runtime.drain()
    return reader, followed


async def test_one_job_fans_out_every_waiting_post(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy="fanout")) as runtime:
        reader, authors = await reader_with_feed(runtime, url, 3)
        posts = [(await runtime.microblog.create_post(a, "waiting", None)).id for a in authors]
        assert scalar(url, "SELECT count(*) FROM feed_outbox") == 3
        await runtime.engine.process_posts([posts[0]])  # the first post's job alone
        assert entries(url, reader) == 3
        assert scalar(url, "SELECT count(*) FROM feed_outbox") == 0
        await runtime.drain()  # the other jobs find their posts done
        assert entries(url, reader) == 3
        assert await ids(runtime, reader) == posts[::-1]


async def test_batch_setting_bounds_one_statement(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(
        settings.replace(feed_strategy="fanout", fanout_batch=2)
    ) as runtime:
        reader, (author,) = await reader_with_feed(runtime, url, 1)
        posts = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(5)]
        await runtime.engine.process_posts([posts[-1]])  # its own post and the two oldest
        assert scalar(url, "SELECT count(*) FROM feed_outbox") == 2
        assert entries(url, reader) == 3


async def test_job_leaves_a_post_held_by_another_fanout_to_it(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy="fanout")) as runtime:
        reader, (author,) = await reader_with_feed(runtime, url, 1)
        first = await runtime.microblog.create_post(author, "first", None)
        second = await runtime.microblog.create_post(author, "second", None)
        async with runtime.pool.connection() as conn, conn.transaction():
            # Another job, in the middle of its transaction.
            taken = await outbox.take(conn, [first.id], 100)
            assert taken == [first.id, second.id]
            await runtime.engine.serving.fan_out(conn, taken)
            # The second post's job neither waits (a worker stays free) nor writes it.
            await asyncio.wait_for(runtime.engine.process_posts([second.id]), timeout=5)
            assert entries(url, reader) == 0
        assert entries(url, reader) == 2  # the holder's commit


@pytest.mark.parametrize("name", ["fanout", "pull", "matview"])
async def test_cached_pages_follow_posts_taken_by_another_job(
    settings: Settings, name: str
) -> None:
    url = settings.database_url
    cached = settings.replace(feed_strategy=name, feed_cache="redis")
    async with open_test_runtime(cached) as runtime:
        await flush_cache(runtime)
        reader, quiet, followed = make_users(url, 3)
        await runtime.microblog.follow(reader, followed)
        assert await ids(runtime, reader) == []
        await runtime.drain()
        assert await ids(runtime, reader) == []  # now cached
        await runtime.microblog.create_post(quiet, "nobody reads me", None)
        post = await runtime.microblog.create_post(followed, "for the reader", None)
        # The job of the quiet author's post also fans out the followed one's, so it must
        # also drop the reader's cached page.
        await runtime.engine.process_posts([post.id - 1])
        assert await ids(runtime, reader) == [post.id]


async def test_emptied_push_state_is_rebuilt_and_never_wrong(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy="hybrid")) as runtime:
        reader, (author,) = await reader_with_feed(runtime, url, 1)
        posts = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(3)]
        await runtime.drain()
        # What crash recovery does to UNLOGGED tables.
        state, entry_table = runtime.engine.serving.tables[:2]
        with psycopg.connect(url) as conn:
            persistence = conn.execute(
                "SELECT array_agg(DISTINCT relpersistence) FROM pg_class WHERE relname = ANY(%s)",
                ([state, entry_table],),
            ).fetchone()
            assert persistence == (["u"],)
            conn.execute(f"TRUNCATE {state}, {entry_table}")  # our own table names
        later = await runtime.microblog.create_post(author, "after the crash", None)
        await runtime.drain()
        expected = [later.id, *posts[::-1]]
        assert await ids(runtime, reader) == expected  # served by pull while it is rebuilt
        await runtime.drain()
        assert entries(url, reader, entry_table) == 4
        page = await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(below=posts[2]), 20)
        assert [p.id for p in page.posts] == posts[1::-1]
