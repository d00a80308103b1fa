"""Every strategy, with and without the cache, gives the pull strategy's pages.

Hypothesis writes random histories of sign-ups, posts, replies, deletes, follows, unfollows,
reads and readers going idle; the job queue runs at random points and drains at the end.
Then every reader's every feed is walked page by page (and from random cursors) under the
strategy and under pull. Small caps make pages cross the seam between pushed and pulled
ranges, and a low celebrity threshold makes hybrid merge authors at read time.
"""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.feeds import available
from microblog.settings import Settings
from tests.conftest import Runtime, flush_cache, open_test_runtime, truncate_all

# Every installed or registered strategy (the tests' own ``scan`` too), cache off and on.
CONFIGS = [(name, cache) for name in available() for cache in ("off", "redis")]

user = st.integers(0, 7)
op = st.one_of(
    st.tuples(st.just("signup")),
    st.tuples(st.just("post"), user, st.none() | st.integers(0, 60)),
    st.tuples(st.just("post"), user, st.none()),
    st.tuples(st.just("follow"), user, user),
    st.tuples(st.just("delete"), st.integers(0, 60)),
    st.tuples(st.just("follow"), user, user),
    st.tuples(st.just("unfollow"), user, user),
    st.tuples(st.just("read"), user),
    st.tuples(st.just("idle"), user),
    st.tuples(st.just("drain")),
    st.tuples(st.just("maintain")),
)


def config_settings(base: Settings, strategy: str, cache: str) -> Settings:
    return base.replace(
        feed_strategy=strategy,
        feed_cache=cache,
        feed_cap=2,
        matview_per_reader=3,
        celebrity_followers=3,
        matview_refresh_seconds=1,
        maintenance_seconds=1,
    )


class History:
    """Applies operations through the service, remembering ids to refer to."""

    def __init__(self, runtime: Runtime, url: str) -> None:
        self.runtime = runtime
        self.url = url
        self.users: list[int] = []
        self.posts: list[int] = []

    def add_user(self) -> None:
        with psycopg.connect(self.url) as conn:
            row = conn.execute(
                "INSERT INTO users (username, password_digest) VALUES (%s, 'x') RETURNING id",
                (f"u{len(self.users)}",),
            ).fetchone()
        assert row is not None
        self.users.append(row[0])

    async def read_all(self) -> None:
        for reader in self.users:
            await self.runtime.microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        await self.runtime.drain()

    def pick(self, items: list[int], index: int) -> int | None:
        return items[index % len(items)] if items else None

    async def apply(self, step: tuple[object, ...]) -> None:
        microblog = self.runtime.microblog
        kind = step[0]
        if kind == "signup":
            self.add_user()
        elif kind == "post":
            author = self.pick(self.users, int(step[1]))  # type: ignore[call-overload]
            parent = None if step[2] is None else self.pick(self.posts, int(step[2]))  # type: ignore[call-overload]
            assert author is not None
            self.posts.append((await microblog.create_post(author, "p", parent)).id)
        elif kind == "delete" and self.posts:
            post_id = self.pick(self.posts, int(step[1]))  # type: ignore[call-overload]
            assert post_id is not None
            post = await microblog.post(post_id)
            await microblog.delete_post(post.author.id, post_id)
            self.posts.remove(post_id)
        elif kind in ("follow", "unfollow"):
            a = self.pick(self.users, int(step[1]))  # type: ignore[call-overload]
            b = self.pick(self.users, int(step[2]))  # type: ignore[call-overload]
            if a is not None and b is not None and a != b:
                await (microblog.follow if kind == "follow" else microblog.unfollow)(a, b)
        elif kind == "read":
            reader = self.pick(self.users, int(step[1]))  # type: ignore[call-overload]
            await microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        elif kind == "idle":
            reader = self.pick(self.users, int(step[1]))  # type: ignore[call-overload]
            with psycopg.connect(self.url) as conn:
                conn.execute(
                    "UPDATE users SET last_active_at = now() - interval '30 days' WHERE id = %s",
                    (reader,),
                )
        elif kind == "drain":
            await self.runtime.drain()
        elif kind == "maintain":
            await self.runtime.drain()
            await self.runtime.engine.maintain()


async def walk(runtime: Runtime, reader: int | None, mode: FeedMode, strategy: str) -> list[int]:
    """Every id of a feed, page by page through next cursors (limit 3)."""
    engine = runtime.engine
    chosen = engine.serving if strategy == "serving" else engine.pull
    ids: list[int] = []
    window = Window()
    async with engine.pool.connection() as conn:
        for _ in range(200):
            page = await chosen.page(conn, reader, mode, window, 4)
            ids += page[:3]
            if len(page) <= 3:
                break
            window = Window(below=page[2])
    return ids


async def check_equal(runtime: Runtime, readers: list[int]) -> None:
    """Every feed of every reader (and All) equals pull's, first page through the engine (and
    its cache), whole feeds page by page, and from cursors both ways."""
    for reader in [*readers, None]:
        for mode in FeedMode:
            if reader is None and mode is not FeedMode.ALL:
                continue
            expected = await walk(runtime, reader, mode, "pull")
            # Through the engine (and its cache, when on): the first page as readers get it.
            first = await runtime.microblog.feed(reader, mode, Window(), 3)
            assert [p.id for p in first.posts] == expected[:3], (reader, mode, "first page")
            again = await runtime.microblog.feed(reader, mode, Window(), 3)
            assert [p.id for p in again.posts] == expected[:3], (reader, mode, "cached")
            assert await walk(runtime, reader, mode, "serving") == expected, (reader, mode)
            for cursor in expected[::3]:
                for w in (Window(below=cursor), Window(above=cursor, oldest_first=True)):
                    async with runtime.engine.pool.connection() as conn:
                        got = await runtime.engine.serving.page(conn, reader, mode, w, 5)
                        want = await runtime.engine.pull.page(conn, reader, mode, w, 5)
                    assert got == want, (reader, mode, w)


@pytest.mark.parametrize(("strategy", "cache"), CONFIGS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(op, st.booleans()), min_size=5, max_size=40))
async def test_strategy_pages_equal_pull(
    database_url: str,
    settings: Settings,
    strategy: str,
    cache: str,
    steps: list[tuple[tuple[object, ...], bool]],
) -> None:
    truncate_all(database_url)
    async with open_test_runtime(config_settings(settings, strategy, cache)) as runtime:
        await flush_cache(runtime)
        history = History(runtime, database_url)
        for _ in range(4):
            history.add_user()
        # Readers who have read once have pushed feeds; the history then changes them.
        await history.read_all()
        for step, then_drain in steps:
            await history.apply(step)
            if then_drain:  # otherwise the next steps race the jobs this one queued
                await runtime.drain()
        await runtime.drain()
        await runtime.engine.maintain()
        await runtime.drain()
        await check_equal(runtime, history.users)
