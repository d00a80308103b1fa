"""The feed engine's behaviours beyond equal pages: caps, hybrid's readers and celebrities,
rollout, dual write, the cache's invalidation and expiry, bounded state, the CLI."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
import redis
from click.testing import CliRunner, Result
from psycopg import sql

from microblog.cli import main
from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.feeds.engine import in_rollout
from microblog.settings import Settings
from microblog.store.cache import bucket, gen_key, readers_key
from tests.conftest import Runtime, flush_cache, open_test_runtime

HYBRID_ENTRIES_OF_READER = "SELECT count(*) FROM hybrid_feed_entries WHERE user_id = %s"
HYBRID_ENTRIES_OF_POST = "SELECT count(*) FROM hybrid_feed_entries WHERE post_id = %s"
HYBRID_FEEDS_OF_READER = "SELECT count(*) FROM hybrid_feed_state WHERE user_id = %s"


async def cli(url: str, *args: str) -> Result:
    """Run the command line (it runs its own event loop, hence the thread)."""
    env = {"MICROBLOG_DATABASE_URL": url}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


def scalar(url: str, sql: str, *params: object) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def make_users(url: str, n: int) -> list[int]:
    with psycopg.connect(url) as conn:
        return [
            conn.execute(
                "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                (f"e{i}",),
            ).fetchone()[0]  # type: ignore[index]
            for i in range(n)
        ]


async def ids(
    runtime: Runtime, reader: int | None, mode: FeedMode = FeedMode.TIMELINE
) -> list[int]:
    page = await runtime.microblog.feed(reader, mode, Window(), 20)
    return [p.id for p in page.posts]


async def test_pushed_feeds_are_trimmed_to_the_cap_and_pages_go_on(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy="fanout", feed_cap=5)) as runtime:
        reader, author = make_users(url, 2)
        await runtime.microblog.follow(reader, author)
        await ids(runtime, reader)
        await runtime.drain()
        posts = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(30)]
        await runtime.drain()
        await runtime.engine.maintain()
        await runtime.engine.maintain()  # the second pass deletes what the first cut off
        assert scalar(url, "SELECT count(*) FROM feed_entries WHERE user_id = %s", reader) <= 5
        # No dead end at the cap: every post is still reachable by paging.
        seen: list[int] = []
        window = Window()
        while True:
            page = await runtime.microblog.feed(reader, FeedMode.TIMELINE, window, 4)
            seen += [p.id for p in page.posts]
            if page.next_cursor is None:
                break
            window = Window(below=page.next_cursor)
        assert seen == posts[::-1]


async def test_follow_backfills_and_unfollow_removes(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy="fanout")) as runtime:
        reader, author = make_users(url, 2)
        await ids(runtime, reader)
        await runtime.drain()
        old = [(await runtime.microblog.create_post(author, f"o{i}", None)).id for i in range(3)]
        await runtime.drain()
        await runtime.microblog.follow(reader, author)
        # Backfilled at once, in the follow's transaction: no job needed.
        assert scalar(url, "SELECT count(*) FROM feed_entries WHERE user_id = %s", reader) == 3
        assert await ids(runtime, reader) == old[::-1]
        await runtime.microblog.unfollow(reader, author)
        assert scalar(url, "SELECT count(*) FROM feed_entries WHERE user_id = %s", reader) == 0
        assert await ids(runtime, reader) == []


async def test_author_sees_own_post_before_fanout(settings: Settings) -> None:
    async with open_test_runtime(settings.replace(feed_strategy="fanout")) as runtime:
        (author,) = make_users(settings.database_url, 1)
        await ids(runtime, author)
        await runtime.drain()
        post = await runtime.microblog.create_post(author, "mine, now", None)
        assert await ids(runtime, author) == [post.id]  # no drain: read-your-writes


async def test_returning_inactive_reader_gets_a_full_feed_at_once(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(
        settings.replace(feed_strategy="hybrid", active_days=7)
    ) as runtime:
        reader, author = make_users(url, 2)
        await runtime.microblog.follow(reader, author)
        posts = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(25)]
        await ids(runtime, reader)
        await runtime.drain()
        assert scalar(url, HYBRID_FEEDS_OF_READER, reader) == 1
        with psycopg.connect(url) as conn:
            conn.execute(
                "UPDATE users SET last_active_at = now() - interval '30 days',"
                " updated_at = now() WHERE id = %s",
                (reader,),
            )
            conn.execute("UPDATE hybrid_feed_state SET built_at = now() - interval '1 hour'")
        await runtime.engine.maintain()  # marks the feed retired
        with psycopg.connect(url) as conn:
            conn.execute("UPDATE hybrid_feed_state SET built_at = now() - interval '1 hour'")
        await runtime.engine.maintain()  # drops it
        assert scalar(url, HYBRID_FEEDS_OF_READER, reader) == 0
        assert scalar(url, HYBRID_ENTRIES_OF_READER, reader) == 0
        # Back after a month: a full first page immediately, from pull ...
        assert await ids(runtime, reader) == posts[::-1][:20]
        # ... while the pushed feed warms in the background.
        await runtime.drain()
        assert scalar(url, HYBRID_ENTRIES_OF_READER, reader) == 25


async def test_celebrities_are_merged_at_read_time_not_fanned_out(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(
        settings.replace(feed_strategy="hybrid", celebrity_followers=3)
    ) as runtime:
        star, *fans = make_users(url, 6)
        for fan in fans:
            await runtime.microblog.follow(fan, star)
            await ids(runtime, fan)
        await runtime.drain()
        await runtime.engine.maintain()
        assert scalar(url, "SELECT count(*) FROM celebrities WHERE user_id = %s", star) == 1
        post = await runtime.microblog.create_post(star, "to my many fans", None)
        await runtime.drain()
        assert scalar(url, HYBRID_ENTRIES_OF_POST, post.id) == 0
        for fan in fans:
            assert (await ids(runtime, fan))[0] == post.id
        # Below 90% of the threshold they are fanned out again, old posts merged in first.
        for fan in fans[:3]:
            await runtime.microblog.unfollow(fan, star)
        await runtime.engine.maintain()
        assert scalar(url, "SELECT count(*) FROM celebrities") == 0
        assert scalar(url, HYBRID_ENTRIES_OF_POST, post.id) == 2
        for fan in fans[3:]:
            assert (await ids(runtime, fan))[0] == post.id


def test_rollout_share_is_stable_and_close_to_the_percentage() -> None:
    chosen = [r for r in range(1, 10_001) if in_rollout(r, 10)]
    assert 800 < len(chosen) < 1200
    assert chosen == [r for r in range(1, 10_001) if in_rollout(r, 10)]
    # Raising the share only adds readers.
    assert set(chosen) <= {r for r in range(1, 10_001) if in_rollout(r, 50)}


async def test_rollout_serves_the_rest_from_pull(settings: Settings) -> None:
    async with open_test_runtime(
        settings.replace(feed_strategy="fanout", feed_rollout_percent=50)
    ) as runtime:
        inside = next(r for r in range(1, 100) if in_rollout(r, 50))
        outside = next(r for r in range(1, 100) if not in_rollout(r, 50))
        assert runtime.engine.strategy_for(inside).name == "fanout"
        assert runtime.engine.strategy_for(outside).name == "pull"


async def test_dual_write_builds_fanout_state_while_pull_serves(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_dual_write="fanout")) as runtime:
        assert runtime.engine.serving.name == "pull"
        reader, author = make_users(url, 2)
        await runtime.microblog.follow(reader, author)
        result = await cli(url, "feeds", "rebuild", "--strategy", "fanout")
        assert result.exit_code == 0, result.output
        post = await runtime.microblog.create_post(author, "dual", None)
        await runtime.drain()
        assert scalar(url, "SELECT count(*) FROM feed_entries WHERE post_id = %s", post.id) == 1
        result = await cli(url, "feeds", "verify", "--strategy", "fanout", "--sample", "2")
        assert result.exit_code == 0, result.output
        assert "0 mismatches" in result.output


async def test_verify_reports_a_mismatch(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy="fanout")) as runtime:
        reader, author = make_users(url, 2)
        await runtime.microblog.follow(reader, author)
        await runtime.microblog.create_post(author, "x", None)
        await ids(runtime, reader)
        await runtime.drain()
        with psycopg.connect(url) as conn:  # corrupt the pushed feed behind the engine's back
            conn.execute("DELETE FROM feed_chunks")
        result = await cli(url, "feeds", "verify", "--strategy", "fanout", "--sample", "5")
        assert result.exit_code == 1
        assert "MISMATCH" in result.output


@pytest.mark.parametrize("strategy", ["fanout", "hybrid"])
async def test_verify_covers_boosts_in_pushed_feeds(settings: Settings, strategy: str) -> None:
    """A boost is a feed entry like a post: fanned out to the booster's followers, equal to
    pull's pages, and a missing boost entry is a mismatch `feeds verify` reports."""
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy=strategy)) as runtime:
        reader, booster, author = make_users(url, 3)
        await runtime.microblog.follow(reader, booster)
        await ids(runtime, reader)  # the reader's feed is built
        await runtime.drain()
        original = await runtime.microblog.create_post(author, "worth sharing", None)
        boost = await runtime.microblog.reblog(booster, original.id)
        await runtime.drain()
        entries = sql.Identifier("hybrid_feed_entries" if strategy == "hybrid" else "feed_entries")
        count = sql.SQL("SELECT count(*) FROM {} WHERE user_id = %s AND post_id = %s")
        assert scalar(url, count.format(entries).as_string(None), reader, boost.id) == 1
        assert await ids(runtime, reader) == [boost.id]
        result = await cli(url, "feeds", "verify", "--strategy", strategy, "--sample", "5")
        assert result.exit_code == 0, result.output
        with psycopg.connect(url) as conn:  # lose the boost's entry behind the engine's back
            chunks = sql.Identifier("hybrid_feed_chunks" if strategy == "hybrid" else "feed_chunks")
            drop = sql.SQL("UPDATE {} SET post_ids = array_remove(post_ids, %s::bigint)")
            conn.execute(drop.format(chunks), (boost.id,))
        result = await cli(url, "feeds", "verify", "--strategy", strategy, "--sample", "5")
        assert result.exit_code == 1
        assert "MISMATCH" in result.output


async def test_matview_holds_a_bounded_feed_per_active_reader(settings: Settings) -> None:
    url = settings.database_url
    async with open_test_runtime(
        settings.replace(feed_strategy="matview", matview_per_reader=3)
    ) as runtime:
        reader, author, idle = make_users(url, 3)
        for who in (reader, idle):
            await runtime.microblog.follow(who, author)
        posts = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(10)]
        with psycopg.connect(url) as conn:
            conn.execute(
                "UPDATE users SET last_active_at = now() - interval '30 days' WHERE id = %s",
                (idle,),
            )
        await runtime.engine.maintain()
        assert scalar(url, "SELECT count(*) FROM user_feeds WHERE user_id = %s", reader) == 4
        assert scalar(url, "SELECT count(*) FROM user_feeds WHERE user_id = %s", idle) == 0
        # New posts show at once (the delta above the high-water mark), before any refresh.
        new = await runtime.microblog.create_post(author, "fresh", None)
        assert (await ids(runtime, reader))[:2] == [new.id, posts[-1]]
        # Past the view's three posts the pages go on from pull.
        assert await ids(runtime, reader) == [new.id, *posts[::-1]]


async def test_cache_is_invalidated_by_every_change_and_expires(settings: Settings) -> None:
    url = settings.database_url
    cached = settings.replace(feed_cache="redis", feed_cache_ttl_seconds=30)
    async with open_test_runtime(cached) as runtime:
        await flush_cache(runtime)
        reader, author = make_users(url, 2)
        assert await ids(runtime, reader) == []
        await runtime.microblog.follow(reader, author)  # follow
        first = await runtime.microblog.create_post(author, "1", None)
        await runtime.drain()
        assert await ids(runtime, reader) == [first.id]
        assert await ids(runtime, reader) == [first.id]  # from the cache
        second = await runtime.microblog.create_post(author, "2", None)  # new post
        await runtime.drain()
        assert await ids(runtime, reader) == [second.id, first.id]
        await runtime.microblog.delete_post(author, second.id)  # delete
        await runtime.drain()
        assert await ids(runtime, reader) == [first.id]
        assert await ids(runtime, None, FeedMode.ALL) == [first.id]
        await runtime.microblog.unfollow(reader, author)  # unfollow
        assert await ids(runtime, reader) == []
        client = redis.Redis.from_url(cached.redis_url)
        try:
            keys = list(client.scan_iter(match="mb:feed:*"))
            assert keys
            ttls = [client.ttl(k) for k in keys]
            assert all(0 < t <= 24 * 3600 for t in ttls), "every key expires"
            page_ttls = [client.ttl(k) for k in keys if b":page:" in k]
            assert page_ttls and all(0 < t <= 30 for t in page_ttls)
        finally:
            client.close()


async def test_a_post_invalidates_only_followers_who_read_lately(settings: Settings) -> None:
    url = settings.database_url
    cached = settings.replace(feed_cache="redis", feed_cache_ttl_seconds=30)
    async with open_test_runtime(cached) as runtime:
        await flush_cache(runtime)
        reading, away, author = make_users(url, 3)
        await runtime.microblog.follow(reading, author)
        await runtime.microblog.follow(away, author)
        assert await ids(runtime, reading) == []  # cached now
        client = redis.Redis.from_url(cached.redis_url)
        try:

            def generations() -> list[bytes | None]:
                return [client.get(gen_key(r)) for r in (reading, away)]  # type: ignore[misc]

            before = generations()
            post = await runtime.microblog.create_post(author, "news", None)
            await runtime.drain()
            assert await ids(runtime, reading) == [post.id]
            after = generations()
            assert after[0] != before[0]
            # Never read, so no page to drop: no write for this follower.
            assert after[1] == before[1]
            # A reader whose last read is older than a page's lifetime is forgotten.
            client.zadd(readers_key(bucket(reading)), {str(reading): 1})
            assert await runtime.engine.cache.recent_readers() == []  # type: ignore[union-attr]
        finally:
            client.close()
        assert await ids(runtime, away) == [post.id]


@pytest.mark.parametrize("name", ["fanout", "hybrid"])
async def test_readers_without_a_feed_never_see_an_empty_page(
    settings: Settings, name: str
) -> None:
    url = settings.database_url
    async with open_test_runtime(settings.replace(feed_strategy=name)) as runtime:
        reader, author = make_users(url, 2)
        await runtime.microblog.follow(reader, author)
        posts = [(await runtime.microblog.create_post(author, f"p{i}", None)).id for i in range(3)]
        async with runtime.pool.connection() as conn:
            assert not await runtime.engine.serving.is_built(conn, reader)
        assert await ids(runtime, reader) == posts[::-1]  # first read ever: pull
        await runtime.drain()
        async with runtime.pool.connection() as conn:
            assert await runtime.engine.serving.is_built(conn, reader)
        assert await ids(runtime, reader) == posts[::-1]  # now pushed
