"""Every strategy, with and without the cache, gives the pull strategy's pages.

Hypothesis writes random histories of sign-ups, posts of every visibility (some mentioning
others), replies, edits (which change mentions), deletes, boosts and unboosts, favourites,
follows, unfollows, blocks, mutes, reads and readers going idle; the job queue runs at random
points and drains at the end.
Then every reader's every feed is walked page by page (and from random cursors) under the
strategy and under pull; and the pages readers get from the engine (the strategy's, through
the boost rule of home feeds and the cache) are walked by their cursors and compared with the
rule applied over pull's. Small caps make pages, and the rule's look-back, cross the seam
between pushed and pulled ranges, small chunks make them cross a pushed feed's rows, and a
low celebrity threshold makes hybrid merge authors at read time. (``test_social_feeds.py``
checks pull itself against a plain model.)
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microblog.domain.errors import Forbidden, NotFound
from microblog.domain.models import FeedMode, Visibility
from microblog.domain.types import Window
from microblog.feeds import available, falloff
from microblog.settings import Settings
from microblog.store import posts as post_store
from tests.conftest import Runtime, flush_cache, open_test_runtime, truncate_all

# Every installed or registered strategy (the tests' own ``scan`` too), cache off and on.
CONFIGS = [(name, cache) for name in available() for cache in ("off", "redis")]

user = st.integers(0, 7)
post_ref = st.integers(0, 60)
visibility = st.sampled_from([v.value for v in Visibility])
# Usernames are u0, u1, ... (History.add_user); u8 and u9 never exist.
mention = st.none() | st.integers(0, 9)
# Repeated entries weigh more: posts and boosts are what the feeds and the boost rule need.
op = st.one_of(
    st.tuples(st.just("signup")),
    st.tuples(st.just("post"), user, st.none(), visibility, mention),
    st.tuples(st.just("post"), user, st.none(), st.just("public"), st.none()),
    st.tuples(st.just("post"), user, st.none(), st.just("public"), st.none()),
    st.tuples(st.just("post"), user, post_ref, visibility, mention),
    st.tuples(st.just("follow"), user, user),
    st.tuples(st.just("follow"), user, user),
    st.tuples(st.just("unfollow"), user, user),
    st.tuples(st.just("delete"), post_ref),
    st.tuples(st.just("boost"), user, post_ref),
    st.tuples(st.just("boost"), user, post_ref),
    st.tuples(st.just("boost"), user, post_ref),
    st.tuples(st.just("unboost"), user, post_ref),
    st.tuples(st.just("favourite"), user, post_ref),
    # An edit changes a post's mentions, and so who sees a private or direct post.
    st.tuples(st.just("edit"), post_ref, mention),
    st.tuples(st.sampled_from(["block", "unblock", "mute", "unmute"]), user, user),
    st.tuples(st.just("read"), user),
    st.tuples(st.just("look"), user),
    st.tuples(st.just("idle"), user),
    st.tuples(st.just("drain")),
    st.tuples(st.just("maintain")),
)


def config_settings(base: Settings, strategy: str, cache: str) -> Settings:
    return base.replace(
        feed_strategy=strategy,
        feed_cache=cache,
        feed_cap=2,
        feed_chunk=2,
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

    async def look(self, *readers: int) -> None:
        """The jobs run, then the readers' first pages (cached ones too) are pull's."""
        await self.runtime.drain()
        for reader in readers:
            await check_first_pages(self.runtime, reader)

    def pick(self, items: list[int], index: object) -> int | None:
        return items[int(index) % len(items)] if items else None  # type: ignore[call-overload]

    def refresh_posts(self) -> None:
        """The posts (and boosts) that exist: a delete takes the boosts of its post along."""
        with psycopg.connect(self.url) as conn:
            self.posts = [row[0] for row in conn.execute("SELECT id FROM posts ORDER BY id")]

    def author_of(self, post_id: int) -> int:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT author_id FROM posts WHERE id = %s", (post_id,)).fetchone()
        assert row is not None
        return int(row[0])

    async def apply(self, step: tuple[object, ...]) -> None:
        microblog = self.runtime.microblog
        kind = step[0]
        if kind == "signup":
            self.add_user()
        elif kind == "post":
            author = self.pick(self.users, step[1])
            parent = None if step[2] is None else self.pick(self.posts, step[2])
            assert author is not None
            content = "p" if step[4] is None else f"hi @u{step[4]}"
            try:
                made = await microblog.create_post(
                    author, content, parent, Visibility(str(step[3]))
                )
            except NotFound:  # a reply to a post its author may not see
                return
            self.posts.append(made.id)
        elif kind == "delete" and self.posts:
            post_id = self.pick(self.posts, step[1])
            assert post_id is not None
            await microblog.delete_post(self.author_of(post_id), post_id)
            self.refresh_posts()
        elif kind in ("boost", "unboost", "favourite") and self.posts:
            who = self.pick(self.users, step[1])
            post_id = self.pick(self.posts, step[2])
            assert who is not None and post_id is not None
            verb = {
                "boost": microblog.reblog,
                "unboost": microblog.unreblog,
                "favourite": microblog.favourite,
            }[str(kind)]
            try:
                await verb(who, post_id)
            except (Forbidden, NotFound):  # private or direct; not the user's to see
                return
            if kind != "favourite":
                self.refresh_posts()
        elif kind == "edit" and self.posts:
            post_id = self.pick(self.posts, step[1])
            assert post_id is not None
            content = "p" if step[2] is None else f"hi @u{step[2]}"
            await self.look(*self.users)  # cache every first page, to see the right ones drop
            try:
                await microblog.edit_post(self.author_of(post_id), post_id, content)
            except Forbidden:  # a boost has no text
                return
            await self.look(*self.users)
        elif kind in ("follow", "unfollow", "block", "unblock", "mute", "unmute"):
            a = self.pick(self.users, step[1])
            b = self.pick(self.users, step[2])
            if a is None or b is None or a == b:
                return
            hides = kind in ("block", "unblock", "mute", "unmute")
            if hides:  # cache both readers' first pages, to see them dropped
                await self.look(a, b)
            try:
                await getattr(microblog, str(kind))(a, b)
            except Forbidden:  # a follow across a block
                assert kind == "follow"
            if hides:
                await self.look(a, b)
        elif kind == "read":
            reader = self.pick(self.users, step[1])
            await microblog.feed(reader, FeedMode.TIMELINE, Window(), 3)
        elif kind == "look":
            reader = self.pick(self.users, step[1])
            assert reader is not None
            await self.look(reader)
        elif kind == "idle":
            reader = self.pick(self.users, step[1])
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


async def walk_engine(runtime: Runtime, reader: int | None, mode: FeedMode) -> list[int]:
    """Every id of a feed as readers get it (the engine's pages: the serving strategy's
    through the boost rule and the cache), page by page through next cursors (limit 3)."""
    ids: list[int] = []
    window = Window()
    for _ in range(200):
        page = await runtime.microblog.feed(reader, mode, window, 3)
        ids += [p.id for p in page.posts]
        if page.next_cursor is None:
            return ids
        window = Window(below=page.next_cursor)
    raise AssertionError("the feed does not end")


async def shown_by_pull(runtime: Runtime, reader: int, mode: FeedMode, raw: list[int]) -> list[int]:
    """A home feed as the engine over pull shows it: ``falloff.shown`` over pull's pages,
    page by page (as ``FeedEngine._read`` does), checked against the rule applied to pull's
    whole feed ``raw`` at once."""
    engine = runtime.engine
    ids: list[int] = []
    async with engine.pool.connection() as conn:

        async def read(w: Window, n: int) -> list[int]:
            return await engine.pull.page(conn, reader, mode, w, n)

        async def reblogs(among: Sequence[int]) -> dict[int, int]:
            found = await post_store.reblogs_among(conn, among)
            return {b: boost.reblog_of_id for b, boost in found.items()}

        window = Window()
        for _ in range(200):
            page = await falloff.shown(read, reblogs, window, 4)
            ids += page[:3]
            if len(page) <= 3:
                break
            window = Window(below=page[2])
        boosted = await reblogs(raw)
    whole = [e for i, e in enumerate(raw) if not falloff.repeats(raw, i, boosted)]
    assert ids == whole, (reader, mode, "the rule, page by page")
    return ids


async def check_first_pages(runtime: Runtime, reader: int) -> None:
    """The reader's first pages through the engine (and its cache) are pull's, through the
    boost rule on home feeds: a step that forgot to drop a cached page shows here."""
    engine = runtime.engine
    for mode in (FeedMode.TIMELINE, FeedMode.FOLLOWING, FeedMode.ALL):
        async with engine.pool.connection() as conn:

            async def read(w: Window, n: int, mode: FeedMode = mode) -> list[int]:
                return await engine.pull.page(conn, reader, mode, w, n)

            async def reblogs(among: Sequence[int]) -> dict[int, int]:
                found = await post_store.reblogs_among(conn, among)
                return {b: boost.reblog_of_id for b, boost in found.items()}

            if mode is FeedMode.ALL:
                want = await read(Window(), 3)
            else:
                want = await falloff.shown(read, reblogs, Window(), 3)
        page = await runtime.microblog.feed(reader, mode, Window(), 3)
        assert [p.id for p in page.posts] == want, (reader, mode, "first page, mid-history")


def in_window(ids: list[int], w: Window, n: int) -> list[int]:
    inside = [i for i in ids if w.above < i < w.below]
    return inside[-n:] if w.oldest_first else inside[:n]


async def check_equal(runtime: Runtime, readers: list[int]) -> None:
    """Every feed of every reader (and All) equals pull's: the strategy's own pages, whole
    feeds page by page and from cursors both ways; and the engine's pages (the boost rule on
    home feeds, All of a reader who hides authors, the cache), first pages twice, whole feeds
    by next cursors and pages from cursors both ways."""
    for reader in [*readers, None]:
        for mode in FeedMode:
            if reader is None and mode is not FeedMode.ALL:
                continue
            raw = await walk(runtime, reader, mode, "pull")
            assert await walk(runtime, reader, mode, "serving") == raw, (reader, mode)
            for cursor in raw[::3]:
                for w in (Window(below=cursor), Window(above=cursor, oldest_first=True)):
                    async with runtime.engine.pool.connection() as conn:
                        got = await runtime.engine.serving.page(conn, reader, mode, w, 5)
                        want = await runtime.engine.pull.page(conn, reader, mode, w, 5)
                    assert got == want, (reader, mode, w)
            # What readers get, through the engine.
            expected = raw
            if reader is not None and mode in (FeedMode.TIMELINE, FeedMode.FOLLOWING):
                expected = await shown_by_pull(runtime, reader, mode, raw)
            # The first page as readers get it (and again, from the cache when it is on).
            for label in ("first page", "cached"):
                first = await runtime.microblog.feed(reader, mode, Window(), 3)
                assert [p.id for p in first.posts] == expected[:3], (reader, mode, label)
            assert await walk_engine(runtime, reader, mode) == expected, (reader, mode, "engine")
            if expected == raw:
                continue  # the strategy's pages from cursors were compared above
            for cursor in expected[1::3]:
                for w in (Window(below=cursor), Window(above=cursor, oldest_first=True)):
                    page = await runtime.microblog.feed(reader, mode, w, 3)
                    got = [p.id for p in page.posts]
                    assert got == in_window(expected, w, 3), (reader, mode, w, "engine")


@pytest.mark.parametrize(("strategy", "cache"), CONFIGS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(op, st.booleans()), min_size=10, max_size=40))
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
        await play(history, steps)
        await check_equal(runtime, history.users)


async def play(history: History, steps: list[tuple[tuple[object, ...], bool]]) -> None:
    """Four readers who each follow the next two, then the steps (draining the job queue
    after those that say so), then every job and a maintenance pass."""
    runtime = history.runtime
    for _ in range(4):
        history.add_user()
    # Each follows the next two: posts land in feeds from the first step.
    users = history.users
    for i, follower in enumerate(users):
        for followed in (users[(i + 1) % 4], users[(i + 2) % 4]):
            await runtime.microblog.follow(follower, followed)
    # Readers who have read once have pushed feeds; the history then changes them.
    await history.read_all()
    for step, then_drain in steps:
        await history.apply(step)
        if then_drain:  # otherwise the next steps race the jobs this one queued
            await runtime.drain()
    await runtime.drain()
    await runtime.engine.maintain()
    await runtime.drain()
