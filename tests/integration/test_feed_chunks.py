"""Pushed feeds kept in chunks (migration 0011): a fan-out writes one row per reader per
batch, a build rows of ``feed_chunk`` ids, the upkeep merges a feed spread over many rows
into full ones, and pages walk across rows, an id two rows hold shown once."""

from __future__ import annotations

import psycopg
import pytest
from alembic import command

from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.settings import Settings
from microblog.store import migrate
from tests.conftest import Runtime, open_test_runtime
from tests.integration.test_feed_engine import ids, make_users

CHUNK = 4
TABLES = {"fanout": "feed_chunks", "hybrid": "hybrid_feed_chunks"}


def chunks(url: str, table: str, reader: int) -> list[tuple[int, int, list[int]]]:
    """The reader's rows, newest first: (top, bottom, post ids)."""
    query = f"SELECT top, bottom, post_ids FROM {table} WHERE user_id = %s ORDER BY top DESC"  # noqa: S608
    with psycopg.connect(url) as conn:
        return [(row[0], row[1], row[2]) for row in conn.execute(query, (reader,))]


async def walk(runtime: Runtime, reader: int, limit: int) -> list[int]:
    """Every post of the reader's home feed, page by page."""
    seen: list[int] = []
    window = Window()
    while True:
        page = await runtime.microblog.feed(reader, FeedMode.TIMELINE, window, limit)
        seen += [p.id for p in page.posts]
        if page.next_cursor is None:
            return seen
        window = Window(below=page.next_cursor)


async def reader_of(runtime: Runtime, url: str) -> tuple[int, int]:
    """A reader following an author, with a pushed feed built."""
    reader, author = make_users(url, 2)
    await runtime.microblog.follow(reader, author)
    await ids(runtime, reader)
    await runtime.drain()
    return reader, author


async def post_one_by_one(runtime: Runtime, author: int, n: int) -> list[int]:
    """Posts each fanned out by a job of its own (one chunk per reader each)."""
    made = []
    for i in range(n):
        made.append((await runtime.microblog.create_post(author, f"p{i}", None)).id)
        await runtime.drain()
    return made


@pytest.mark.parametrize("strategy", ["fanout", "hybrid"])
async def test_fan_outs_write_a_row_per_batch_and_the_upkeep_merges_them(
    settings: Settings, strategy: str
) -> None:
    url = settings.database_url
    table = TABLES[strategy]
    config = settings.replace(feed_strategy=strategy, feed_cap=8, feed_chunk=CHUNK)
    async with open_test_runtime(config) as runtime:
        reader, author = await reader_of(runtime, url)
        made = await post_one_by_one(runtime, author, 15)
        newest = made[::-1]
        assert [ids for _, _, ids in chunks(url, table, reader)] == [[p] for p in newest]
        assert await walk(runtime, reader, 4) == newest
        # 15 rows, more than 8 / 4 + 4 spare: merged into full ones. The trim raises the
        # floor to the 9th newest; what it cuts off stays until the next pass.
        await runtime.engine.maintain()
        merged = chunks(url, table, reader)
        assert [ids for _, _, ids in merged] == [newest[i : i + CHUNK] for i in range(0, 15, CHUNK)]
        assert all(top == ids[0] and bottom == ids[-1] for top, bottom, ids in merged)
        assert await walk(runtime, reader, 3) == newest
        await runtime.engine.maintain()
        assert [ids for _, _, ids in chunks(url, table, reader)] == [newest[:4], newest[4:8]]
        assert await walk(runtime, reader, 3) == newest  # the rest from pull, below the floor


async def test_a_build_writes_full_chunks_and_a_batch_one_row(settings: Settings) -> None:
    url = settings.database_url
    config = settings.replace(feed_strategy="fanout", feed_cap=9, feed_chunk=CHUNK)
    async with open_test_runtime(config) as runtime:
        reader, author = make_users(url, 2)
        await runtime.microblog.follow(reader, author)
        old = [(await runtime.microblog.create_post(author, f"o{i}", None)).id for i in range(12)]
        await runtime.drain()  # fanned out to no one yet
        await ids(runtime, reader)  # the first read queues the build: the newest cap + 1
        await runtime.drain()
        built = old[::-1][:10]
        assert [ids for _, _, ids in chunks(url, "feed_chunks", reader)] == [
            built[0:4],
            built[4:8],
            built[8:10],
        ]
        new = [(await runtime.microblog.create_post(author, f"n{i}", None)).id for i in range(3)]
        await runtime.drain()  # one job takes the three
        assert chunks(url, "feed_chunks", reader)[0] == (new[-1], new[0], new[::-1])
        assert await walk(runtime, reader, 5) == [*new[::-1], *old[::-1]]


async def test_a_post_two_rows_hold_is_shown_once_and_merged_away(settings: Settings) -> None:
    """A fan-out retried with another batch (the outbox handed out posts again) may write
    an id a row already holds; a retry of the same batch merges into the row it wrote."""
    url = settings.database_url
    config = settings.replace(feed_strategy="fanout", feed_cap=8, feed_chunk=CHUNK)
    async with open_test_runtime(config) as runtime:
        reader, author = await reader_of(runtime, url)
        m0, m1, m2 = await post_one_by_one(runtime, author, 3)
        strategy = runtime.engine.serving
        for _ in range(2):  # a batch of the last two, twice: the same top, merged
            async with runtime.pool.connection() as conn, conn.transaction():
                await strategy.fan_out(conn, [m1, m2])
        assert chunks(url, "feed_chunks", reader) == [
            (m2, m1, [m2, m1]),
            (m1, m1, [m1]),
            (m0, m0, [m0]),
        ]
        assert await walk(runtime, reader, 2) == [m2, m1, m0]
        more = await post_one_by_one(runtime, author, 4)  # 7 rows: more than 8 / 4 + 4 spare
        await runtime.engine.maintain()
        newest = [*more[::-1], m2, m1, m0]
        assert [ids for _, _, ids in chunks(url, "feed_chunks", reader)] == [newest[:4], newest[4:]]
        assert await walk(runtime, reader, 3) == newest


async def test_the_upkeep_leaves_a_feed_whose_follows_are_changing(settings: Settings) -> None:
    """A follow or unfollow holds the reader's lock while it changes the rows: the merge
    passes that reader by (its statements must see the rows it rewrites), then merges it."""
    url = settings.database_url
    config = settings.replace(feed_strategy="fanout", feed_cap=8, feed_chunk=CHUNK)
    async with open_test_runtime(config) as runtime:
        reader, author = await reader_of(runtime, url)
        made = await post_one_by_one(runtime, author, 8)  # 8 rows: more than 8 / 4 + 4 spare
        with psycopg.connect(url) as holder:
            holder.execute("SELECT pg_advisory_xact_lock(-%s::bigint)", (reader,))
            await runtime.engine.maintain()
            assert len(chunks(url, "feed_chunks", reader)) == 8
        await runtime.engine.maintain()
        assert [ids for _, _, ids in chunks(url, "feed_chunks", reader)] == [
            made[::-1][:4],
            made[::-1][4:],
        ]


def test_migration_0011_carries_the_entries_over_and_back(empty_db: str) -> None:
    """Feeds built before the chunks keep their entries, 200 to a row; the downgrade puts
    them back one to a row."""
    config = migrate.alembic_config(empty_db)
    command.upgrade(config, "0010")
    with psycopg.connect(empty_db) as conn:
        conn.execute("INSERT INTO users (username, password_digest) VALUES ('a', 'x'), ('b', 'x')")
        conn.execute(
            "INSERT INTO feed_entries (user_id, post_id)"
            " SELECT 1, n FROM generate_series(1, 450) n UNION ALL SELECT 2, 7"
        )
    command.upgrade(config, "head")
    with psycopg.connect(empty_db) as conn:
        rows = conn.execute(
            "SELECT user_id, top, bottom, cardinality(post_ids) FROM feed_chunks ORDER BY 1, 2"
        ).fetchall()
        assert rows == [(1, 50, 1, 50), (1, 250, 51, 200), (1, 450, 251, 200), (2, 7, 7, 1)]
        assert conn.execute("SELECT count(*) FROM feed_entries").fetchone() == (451,)
    command.downgrade(config, "0010")
    with psycopg.connect(empty_db) as conn:
        found = conn.execute("SELECT user_id, count(*), max(post_id) FROM feed_entries GROUP BY 1")
        assert sorted(found.fetchall()) == [(1, 450, 450), (2, 1, 7)]


async def test_a_page_the_newest_chunks_do_not_settle_reads_them_all(settings: Settings) -> None:
    """A page newest first unnests only the newest chunks holding twice its length; when
    their posts are hidden from the reader (a mute here), the older chunks still fill it."""
    url = settings.database_url
    config = settings.replace(feed_strategy="fanout", feed_cap=50, feed_chunk=CHUNK)
    async with open_test_runtime(config) as runtime:
        reader, quiet, loud = make_users(url, 3)
        await runtime.microblog.follow(reader, quiet)
        await runtime.microblog.follow(reader, loud)
        await ids(runtime, reader)
        await runtime.drain()
        older = await post_one_by_one(runtime, quiet, 3)
        await post_one_by_one(runtime, loud, 8)  # 8 newer rows, more than 2 x 3 ids
        await runtime.microblog.mute(reader, loud)
        page = await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        assert [p.id for p in page.posts] == older[::-1]
