"""Deleting an account, under every strategy with and without the cache.

A small network fills every strategy's state (pushed feeds, the view, celebrities, cached
first pages) with the account and its posts; then the account is deleted. Its posts leave
every page at once, no strategy row nor Redis key names it or its posts once the queue has
run, replies others wrote to its posts stay, and every page is still pull's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import psycopg
import pytest
from psycopg import sql

from microblog.domain.errors import NotFound
from microblog.domain.types import Conn, FeedMode, Window
from microblog.feed_tools import run_verify
from microblog.feeds import available, register, unregister
from microblog.feeds.base import Traits
from microblog.feeds.pull import PullStrategy
from microblog.runtime import Runtime
from microblog.settings import Settings
from microblog.store import push as push_store
from microblog.store.cache import PREFIX
from tests.conftest import flush_cache, open_test_runtime
from tests.integration.network import make_active_users
from tests.integration.test_strategies_equal import check_equal, walk

CONFIGS = [(name, cache) for name in available() for cache in ("off", "redis")]
PAUSE = 0.3


def small(settings: Settings, strategy: str, cache: str) -> Settings:
    """Caps small enough that the deleted account's posts lie on both sides of every seam,
    a threshold that makes it a hybrid celebrity once its last followers arrive, and a view
    refreshed by the test's upkeep only when first built or when a deletion asks for it."""
    return settings.replace(
        feed_strategy=strategy,
        feed_cache=cache,
        feed_cap=3,
        matview_per_reader=4,
        celebrity_followers=3,
        matview_refresh_seconds=3600,
        maintenance_seconds=1,
    )


@dataclass
class World:
    """The network: ``gone`` is the account deleted, with its posts and the replies to them."""

    people: list[int]
    gone: int
    gone_posts: list[int]
    replies_to_gone: list[int]


async def build_world(runtime: Runtime) -> World:
    """Six active people; ``gone`` follows and is followed, posts often (more posts than a
    pushed feed, the view or a page hold), replies and is replied to."""
    blog = runtime.microblog
    people = make_active_users(runtime.settings.database_url, 6, "p")
    gone, b, c, d, e, f = people
    for follower, followed in [(gone, b), (gone, c), (b, gone), (c, gone), (b, c), (d, e)]:
        await blog.follow(follower, followed)
    for reader in people:  # first reads: pushed feeds are claimed and built
        await blog.feed(reader, FeedMode.TIMELINE, Window(), 3)
    await runtime.drain()
    gone_posts: list[int] = []
    replies: list[int] = []
    for i in range(4):
        gone_posts.append((await blog.create_post(gone, f"gone {i}", None)).id)
        await blog.create_post(b, f"b {i}", None)
        await blog.create_post(c, f"c {i}", None)
    replies.append((await blog.create_post(b, "b answers gone", gone_posts[0])).id)
    replies.append((await blog.create_post(c, "c answers b", replies[0])).id)
    gone_posts.append((await blog.create_post(gone, "gone answers c", replies[1])).id)
    await runtime.drain()
    await runtime.engine.maintain()  # trims, refreshes the view with gone's posts in it
    # Then more followers, so that the next upkeep makes gone a celebrity (hybrid) while
    # its earlier posts are still pushed in b's and c's feeds.
    for follower in (d, e, f):
        await blog.follow(follower, gone)
    for i in range(4):
        gone_posts.append((await blog.create_post(gone, f"gone later {i}", None)).id)
        await blog.create_post(d, f"d {i}", None)
    await runtime.drain()
    await runtime.engine.maintain()
    await runtime.drain()
    return World(people, gone, gone_posts, replies)


async def read_everything(runtime: Runtime, readers: Sequence[int]) -> list[int]:
    """Every id of every feed of the readers, first pages through the engine (and cache)."""
    seen: list[int] = []
    for reader in [*readers, None]:
        for mode in FeedMode:
            if reader is None and mode is not FeedMode.ALL:
                continue
            first = await runtime.microblog.feed(reader, mode, Window(), 3)
            seen += [p.id for p in first.posts]
            seen += await walk(runtime, reader, mode, "serving")
    return seen


async def state_rows_naming(
    runtime: Runtime, tables: Sequence[str], user_id: int, post_ids: Sequence[int]
) -> list[tuple[str, dict[str, object]]]:
    """Rows of the tables whose ``user_id`` is the account, whose ``post_id`` is one of its
    posts or whose ``post_ids`` hold one (a pushed feed's floor and the view's high-water
    mark are positions on the id line, not references, and are not counted)."""
    found: list[tuple[str, dict[str, object]]] = []
    async with runtime.pool.connection() as conn:
        for table in tables:
            cur = await conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                (table,),
            )
            columns = {row["attname"] for row in await cur.fetchall()}
            checks = []
            if "user_id" in columns:
                checks.append(sql.SQL("user_id = {}").format(sql.Literal(user_id)))
            if "post_id" in columns:
                checks.append(sql.SQL("post_id = ANY({})").format(sql.Literal(list(post_ids))))
            if "post_ids" in columns:  # a pushed feed's chunk
                checks.append(
                    sql.SQL("post_ids && {}::bigint[]").format(sql.Literal(list(post_ids)))
                )
            if not checks:
                continue
            query = sql.SQL("SELECT * FROM {} WHERE {}").format(
                sql.Identifier(table), sql.SQL(" OR ").join(checks)
            )
            cur = await conn.execute(query)
            found += [(table, dict(row)) for row in await cur.fetchall()]
    return found


async def redis_mentions(runtime: Runtime, user_id: int, post_ids: Sequence[int]) -> list[str]:
    """Feed cache keys that name the account (its generation, its pages, its mark among
    the recent readers) or hold one of its posts (any page, reachable or not)."""
    doomed = set(post_ids)
    found: list[str] = []
    async for raw in runtime.redis.scan_iter(match=f"{PREFIX}:*", count=1000):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        parts = key.split(":")
        if str(user_id) in parts[3:4]:
            found.append(key)
        elif key.startswith(f"{PREFIX}:readers:"):
            members = await runtime.redis.zrange(key, 0, -1)
            if str(user_id).encode() in members:
                found.append(f"{key} member {user_id}")
        elif ":page:" in key:
            value = await runtime.redis.get(key)
            if value is not None and doomed & set(json.loads(value)):
                found.append(f"{key} = {value!r}")
    return found


@pytest.mark.parametrize(("strategy", "cache"), CONFIGS)
async def test_a_deleted_account_leaves_no_trace_in_any_feed(
    settings: Settings, strategy: str, cache: str
) -> None:
    config = small(settings, strategy, cache)
    async with open_test_runtime(config) as runtime:
        await flush_cache(runtime)
        world = await build_world(runtime)
        others = [p for p in world.people if p != world.gone]
        tables = runtime.engine.serving.tables
        before = await read_everything(runtime, world.people)
        # The setting is as it should be: the account's posts are in pages, state, cache.
        assert set(world.gone_posts) <= set(before)
        if tables:
            assert await state_rows_naming(runtime, tables, world.gone, world.gone_posts)
        if cache == "redis":
            assert await redis_mentions(runtime, world.gone, world.gone_posts)
        if strategy == "hybrid":
            async with runtime.pool.connection() as conn:
                assert await push_store.is_celebrity(conn, world.gone)

        # One more post, still waiting in the outbox (no job has run) when the account goes.
        waiting = await runtime.microblog.create_post(world.gone, "not fanned out yet", None)
        world.gone_posts.append(waiting.id)

        removed = await runtime.microblog.remove_account(world.gone)
        assert removed.id == world.gone
        assert removed.posts_count == len(world.gone_posts)
        assert await outbox_rows(runtime, world.gone_posts) == 0

        # At once, before any job ran: no page (first, cached or deeper) shows its posts.
        seen = await read_everything(runtime, others)
        assert not set(world.gone_posts) & set(seen)
        await check_equal(runtime, others)

        await runtime.drain()
        await runtime.engine.maintain()  # the next periodic pass (it refreshes the view)
        await runtime.drain()
        assert await state_rows_naming(runtime, tables, world.gone, world.gone_posts) == []
        assert await redis_mentions(runtime, world.gone, world.gone_posts) == []
        await check_equal(runtime, others)

        # Replies others wrote stay, their threads still work; its own are gone.
        blog = runtime.microblog
        for reply in world.replies_to_gone:
            thread = await blog.thread(reply)
            assert thread.post.id == reply
        answer = await blog.post(world.replies_to_gone[0])
        assert answer.parent_id == world.gone_posts[0]
        assert answer.parent_username is None  # shown as answering a deleted post
        thread = await blog.thread(world.replies_to_gone[0])
        assert thread.ancestors == []
        assert [p.id for p in thread.descendants] == [world.replies_to_gone[1]]
        for post_id in world.gone_posts:
            with pytest.raises(NotFound):
                await blog.post(post_id)
        with pytest.raises(NotFound):
            await blog.user(world.gone)
        for person in others:  # counters of the accounts it followed and that followed it
            user = await blog.user(person)
            assert (user.followers_count, user.following_count) == await follow_counts(
                runtime, person
            )

    report = await run_verify(config, strategy, 100, 1)
    assert report.readers == len(others)
    assert report.ok, [str(m) for m in report.mismatches]


async def outbox_rows(runtime: Runtime, post_ids: Sequence[int]) -> int:
    """How many of the posts wait in the outbox."""
    async with runtime.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM feed_outbox WHERE post_id = ANY(%s)", (list(post_ids),)
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["n"])


async def follow_counts(runtime: Runtime, user_id: int) -> tuple[int, int]:
    """(followers, following) counted from the follows rows."""
    async with runtime.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM follows WHERE followed_id = %(id)s) AS followers,"
            " (SELECT count(*) FROM follows WHERE follower_id = %(id)s) AS following",
            {"id": user_id},
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["followers"]), int(row["following"])


async def test_the_username_is_free_again_and_the_new_account_starts_empty(
    settings: Settings,
) -> None:
    async with open_test_runtime(small(settings, "fanout", "redis")) as runtime:
        await flush_cache(runtime)
        blog = runtime.microblog
        old = await blog.sign_up("phoenix", "a long enough password")
        friend = (await blog.sign_up("friend", "a long enough password")).id
        await blog.follow(friend, old.id)
        await blog.create_post(old.id, "first life", None)
        await blog.feed(friend, FeedMode.TIMELINE, Window(), 3)
        await runtime.drain()
        await blog.remove_account(old.id)
        await runtime.drain()
        new = await blog.sign_up("Phoenix", "a long enough password")
        assert new.id != old.id
        assert (new.posts_count, new.followers_count, new.following_count) == (0, 0, 0)
        mine = await blog.feed(new.id, FeedMode.MINE, Window(), 20)
        assert mine.posts == []
        assert (await blog.feed(friend, FeedMode.TIMELINE, Window(), 20)).posts == []
        with pytest.raises(NotFound):
            await blog.remove_account(old.id)


@pytest.mark.parametrize("name", ["fanout", "hybrid"])
async def test_an_account_with_fewer_posts_than_a_feed_holds_leaves_the_feeds_too(
    settings: Settings, name: str
) -> None:
    """Its few post ids are looked up in each follower's feed (with more posts than the cap,
    as above, each follower's feed is walked instead)."""
    async with open_test_runtime(small(settings, name, "off").replace(feed_cap=50)) as runtime:
        gone, reader, other = make_active_users(settings.database_url, 3, "r")
        await runtime.microblog.follow(reader, gone)
        await runtime.microblog.follow(reader, other)
        await runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        await runtime.drain()
        made = [(await runtime.microblog.create_post(gone, f"{i}", None)).id for i in range(3)]
        kept = (await runtime.microblog.create_post(other, "stays", None)).id
        await runtime.drain()
        tables = runtime.engine.serving.tables
        assert await state_rows_naming(runtime, tables, gone, made)
        await runtime.microblog.remove_account(gone)
        assert await state_rows_naming(runtime, tables, gone, made) == []
        left = await state_rows_naming(runtime, tables[1:2], gone, [kept])
        assert [(row["user_id"], row["post_ids"]) for _, row in left] == [(reader, [kept])]
        await runtime.drain()
        await check_equal(runtime, [reader, other])


@pytest.mark.parametrize("name", ["fanout", "hybrid"])
async def test_a_fan_out_in_flight_at_the_deletion_is_swept_after_it(
    settings: Settings, name: str
) -> None:
    """A fan-out whose statement read the deleted account's follows before the deletion
    committed writes into its feed after it; the job waits for it, then sweeps the feed."""
    async with open_test_runtime(small(settings, name, "off")) as runtime:
        gone, author = make_active_users(settings.database_url, 2, "r")
        await runtime.microblog.follow(gone, author)
        await runtime.microblog.feed(gone, FeedMode.TIMELINE, Window(), 3)
        await runtime.drain()
        post = await runtime.microblog.create_post(author, "in flight", None)
        chunks = runtime.engine.serving.tables[1]
        late = await psycopg.AsyncConnection.connect(settings.database_url)
        try:
            # The fan-out's insert, holding its lock on the chunks, not yet committed ...
            await late.execute(
                sql.SQL(
                    "INSERT INTO {} (user_id, top, bottom, post_ids) VALUES (%s, %s, %s, %s)"
                ).format(sql.Identifier(chunks)),
                (gone, post.id, post.id, [post.id]),
            )
            # ... while the account is deleted and its job runs.
            await runtime.microblog.remove_account(gone)
            job = asyncio.create_task(runtime.drain())
            await asyncio.sleep(PAUSE)
            assert not job.done(), "the sweep did not wait for the fan-out in flight"
            await late.commit()
            await job
        finally:
            await late.close()
        tables = runtime.engine.serving.tables
        assert await state_rows_naming(runtime, tables, gone, [post.id]) == []


@pytest.mark.parametrize("name", ["fanout", "hybrid"])
async def test_a_feed_build_queued_before_the_deletion_builds_nothing(
    settings: Settings, name: str
) -> None:
    async with open_test_runtime(small(settings, name, "off")) as runtime:
        gone, author = make_active_users(settings.database_url, 2, "r")
        await runtime.microblog.follow(gone, author)
        await runtime.microblog.create_post(author, "before", None)
        await runtime.microblog.feed(gone, FeedMode.TIMELINE, Window(), 3)  # queues a build
        await runtime.microblog.remove_account(gone)
        await runtime.drain()
        async with runtime.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT task_name, status, attempts FROM procrastinate_jobs"
                " WHERE status <> 'succeeded'"
            )
            assert await cur.fetchall() == []  # no job failed nor waits for a retry
        assert await state_rows_naming(runtime, runtime.engine.serving.tables, gone, []) == []


class LedgerStrategy(PullStrategy):
    """Pull's pages, with state it does not say how to delete: it records the verbs the
    default ``user_deleted`` is made of."""

    name = "ledger"
    traits = Traits(state="per_reader")
    calls: ClassVar[list[tuple[str, int]]] = []

    async def remove_post(self, conn: Conn, post_id: int, author_id: int) -> None:
        self.calls.append(("remove_post", post_id))

    async def forget(self, conn: Conn, reader_id: int | None) -> None:
        assert reader_id is not None
        self.calls.append(("forget", reader_id))


async def test_a_strategy_that_does_not_override_the_hook_is_told_with_its_own_verbs(
    settings: Settings,
) -> None:
    register(LedgerStrategy)
    try:
        async with open_test_runtime(settings.replace(feed_strategy="ledger")) as runtime:
            gone, other = make_active_users(settings.database_url, 2, "r")
            await runtime.microblog.follow(other, gone)
            made = [(await runtime.microblog.create_post(gone, f"{i}", None)).id for i in range(3)]
            LedgerStrategy.calls.clear()
            await runtime.microblog.remove_account(gone)
            removes = [("remove_post", post_id) for post_id in made]
            assert LedgerStrategy.calls == [*removes, ("forget", gone)]
            await runtime.drain()
            await check_equal(runtime, [other])
    finally:
        unregister("ledger")
