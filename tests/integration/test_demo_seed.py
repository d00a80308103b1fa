"""`make run`'s demo: the seeded network brought to the present (microblog.demo), with display
names and a script of conversations whose every feature shows on the demo user's first page."""

from __future__ import annotations

import concurrent.futures
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, TypeVar

import anyio
import httpx
import psycopg
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from psycopg import sql

from microblog import devserver, seeding
from microblog.cli import main
from microblog.demo import DEMO_USER_ID, DemoError, enliven
from microblog.demo.enliven import BULK_DAYS
from microblog.demo.names import MAX_DISPLAY_NAME, display_names
from microblog.demo.script import SCRIPT, Boost, Favourite, Follow, Write
from microblog.domain.models import FeedMode
from microblog.domain.rules import MAX_POST_CHARS, mentioned_names
from microblog.domain.types import Window
from microblog.runtime import open_runtime
from microblog.seeding import SeedPlan
from microblog.settings import Settings
from microblog.store import migrate, seed
from microblog.web.render import _ago
from tests.conftest import ADMIN_URL, TEST_REDIS_URL, _db_url
from tests.web.helpers import Visitor, article, post_ids

PLAN = devserver.DEMO_PLAN
PASSWORD = devserver.DEMO_PASSWORD

MakeDb = Callable[[], str]
T = TypeVar("T")


def _settings(url: str) -> Settings:
    return Settings(database_url=url, redis_url=TEST_REDIS_URL, db_pool_min=1, db_pool_max=2)


def _enliven(url: str, plan: SeedPlan, now: datetime | None = None) -> None:
    """``enliven`` on an event loop of its own, in a thread (callers may be inside a loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(anyio.run, enliven, _settings(url), plan, now).result()


def _demo(url: str, plan: SeedPlan = PLAN, now: datetime | None = None) -> None:
    seed.seed(url, plan, PASSWORD)
    _enliven(url, plan, now)


@pytest.fixture
def make_db() -> Iterator[MakeDb]:
    """Creates migrated scratch databases on demand; drops them all afterwards."""
    names: list[str] = []

    def make() -> str:
        name = f"microblog_demotest_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is ours, not input
        names.append(name)
        url = _db_url(name)
        migrate.upgrade(url)
        return url

    try:
        yield make
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_db(clean_db: str) -> str:
    """The test database holding the demo (the app fixtures then serve it)."""
    _demo(clean_db)
    return clean_db


def _rows(
    url: str, query: str | sql.Composed, params: tuple[Any, ...] = ()
) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def _one(url: str, query: str | sql.Composed, params: tuple[Any, ...] = ()) -> Any:
    (row,) = _rows(url, query, params)
    return row[0]


# The script alone.


def test_the_script_is_in_time_order_and_refers_backwards() -> None:
    assert all(a.ago >= b.ago for a, b in pairwise(SCRIPT))
    # Posts and boosts get ids in script order: their minutes must strictly decrease.
    posting = [step.ago for step in SCRIPT if isinstance(step, Write | Boost)]
    assert all(a > b for a, b in pairwise(posting))
    written: set[str] = set()
    longest = {role: "user" + "9" * 6 for role in ("me", "f1", "f2", "f3", "f4", "f5", "f6")}
    for step in SCRIPT:
        match step:
            case Write(key=key, text=text, reply_to=reply_to):
                assert key not in written
                assert reply_to is None or reply_to in written
                assert len(text.format_map(longest)) <= MAX_POST_CHARS, text
                written.add(key)
            case Favourite(key=key) | Boost(key=key):
                assert key in written
            case Follow(who=who, whom=whom):
                assert who != whom


def test_display_names_are_deterministic_short_and_varied() -> None:
    names = display_names(PLAN)
    assert names == display_names(SeedPlan(200, 4000, 20, seed=1))
    assert names != display_names(SeedPlan(200, 4000, 20, seed=2))
    assert list(names) == list(range(1, PLAN.users + 1))
    assert all(0 < len(name) <= MAX_DISPLAY_NAME for name in names.values())
    assert len(set(names.values())) > PLAN.users // 2


# The demo in PostgreSQL.


def test_dates_are_the_last_days_and_the_newest_minutes_ago(demo_db: str) -> None:
    now = datetime.now(UTC)
    oldest, newest = _rows(demo_db, "SELECT min(created_at), max(created_at) FROM posts")[0]
    assert now - timedelta(days=BULK_DAYS + 1) < oldest
    assert now - timedelta(minutes=10) < newest < now
    assert _ago(newest) == "3m"  # what the pages show
    # id order is still time order, the script's posts after the seeded ones.
    backwards = _one(
        demo_db,
        "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back"
        " FROM posts) t WHERE back",
    )
    assert backwards == 0
    # Half of the seeded posts are from the last week, not from last year.
    recent = _one(
        demo_db, "SELECT count(*) FROM posts WHERE created_at > now() - interval '7 days'"
    )
    assert recent > PLAN.posts // 3
    # Users joined before they wrote; everything else the demo made is dated in the past.
    early = _one(
        demo_db,
        "SELECT count(*) FROM posts p JOIN users u ON u.id = p.author_id"
        " WHERE p.created_at < u.created_at",
    )
    assert early == 0
    for table in ("users", "posts", "follows", "favourites", "notifications"):
        newest = sql.SQL("SELECT max(created_at) FROM {}").format(sql.Identifier(table))
        assert _one(demo_db, newest) < now, table
    assert _one(demo_db, "SELECT max(last_active_at) FROM users") <= now
    assert _one(demo_db, "SELECT min(created_at) FROM notifications") > now - timedelta(hours=5)


def test_every_account_has_its_display_name(demo_db: str) -> None:
    names = dict(_rows(demo_db, "SELECT id, display_name FROM users"))
    assert names == display_names(PLAN)


def test_replies_mentions_favourites_boosts_and_follows_exist(demo_db: str) -> None:
    deepest = _one(
        demo_db,
        """WITH RECURSIVE chain (id, depth) AS (
               SELECT id, 0 FROM posts WHERE parent_id IS NULL AND reblog_of_id IS NULL
               UNION ALL
               SELECT p.id, c.depth + 1 FROM posts p JOIN chain c ON p.parent_id = c.id)
           SELECT max(depth) FROM chain""",
    )
    assert deepest >= 4
    assert _one(demo_db, "SELECT count(*) FROM mentions") >= 20
    assert _one(demo_db, "SELECT count(*) FROM favourites") >= 20
    assert _one(demo_db, "SELECT count(*) FROM posts WHERE reblog_of_id IS NOT NULL") >= 3
    types = dict(
        _rows(
            demo_db,
            "SELECT type, count(*) FROM notifications WHERE user_id = %s GROUP BY 1",
            (DEMO_USER_ID,),
        )
    )
    assert set(types) == {"follow", "mention", "favourite", "reblog"}
    # The counters the triggers keep agree with the rows.
    wrong = _one(
        demo_db,
        """SELECT count(*) FROM users u
           WHERE posts_count <> (SELECT count(*) FROM posts WHERE author_id = u.id)
              OR following_count <> (SELECT count(*) FROM follows WHERE follower_id = u.id)
              OR followers_count <> (SELECT count(*) FROM follows WHERE followed_id = u.id)""",
    )
    assert wrong == 0


async def test_each_feature_is_on_the_demo_users_first_home_page(
    demo_db: str, settings: Settings
) -> None:
    async with open_runtime(settings, pool_max=2) as runtime:
        page = await runtime.microblog.feed(DEMO_USER_ID, FeedMode.TIMELINE, Window(), 20)
        everyone = await runtime.microblog.feed(None, FeedMode.ALL, Window(), 20)
    posts = page.posts
    assert len(posts) == 20
    assert any(p.reblog is not None and p.author.id != DEMO_USER_ID for p in posts), "a boost"
    shown = [p.shown for p in posts]
    assert any(s.parent_id is not None for s in shown), "a reply"
    assert any(s.replies_count >= 2 for s in shown), "a post with replies"
    assert any(m.id == DEMO_USER_ID for s in shown for m in s.mentions), "a mention of me"
    assert any(s.favourites_count >= 2 for s in shown), "favourites"
    assert any(s.favourited for s in shown), "one of my favourites"
    assert any(s.author.id == DEMO_USER_ID for s in shown), "my own post"
    assert all(s.author.display_name for s in shown)
    ages = [_ago(p.created_at) for p in posts]
    assert ages[0] == "3m" and all(age.endswith(("m", "h")) for age in ages), ages
    # Visitors' All starts with the script's top-level posts too.
    newest_top_level = min(s.ago for s in SCRIPT if isinstance(s, Write) and not s.reply_to)
    assert _ago(everyone.posts[0].created_at) == f"{newest_top_level}m"


async def test_the_demo_users_home_page_as_html(demo_db: str, app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        me = Visitor(http)
        response = await me.log_in(seeding.username(DEMO_USER_ID), PASSWORD)
        assert response.status_code == 303, response.text
        page = await me.page("/")
        notifications = await me.page("/notifications")
    assert len(post_ids(page)) == 20
    first = article(page, post_ids(page)[0])
    assert ">3m</a>" in first
    assert "boosted</p>" in page and "replying to" in page
    assert 'class="u-url mention"' in page
    assert re.search(r'<span class="n">[1-9]\d*</span>', page), "a favourite count"
    assert re.search(r">[2-9] replies</a>", page)
    assert f'src="/avatars/{seeding.username(DEMO_USER_ID)}.svg"' in page
    assert display_names(PLAN)[DEMO_USER_ID] in page
    assert re.search(r'class="badge"[^>]*>\d+<', page), "unread notifications"
    for what in ("followed you", "mentioned you", "favourited your post", "boosted your post"):
        assert what in notifications


def _thread(work: Callable[[], Awaitable[T]]) -> T:
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, work).result()


@pytest.mark.parametrize("strategy", ["fanout", "matview", "hybrid"])
def test_every_strategy_shows_the_same_first_page(clean_db: str, strategy: str) -> None:
    settings = _settings(clean_db).replace(feed_strategy=strategy)
    seed.seed(clean_db, PLAN, PASSWORD)
    _thread(lambda: enliven(settings, PLAN))

    async def pages() -> tuple[list[int], list[int]]:
        async with open_runtime(settings, pool_max=2) as runtime:
            await runtime.drain()  # the fan-outs the script queued
            first = await runtime.microblog.feed(DEMO_USER_ID, FeedMode.TIMELINE, Window(), 20)
            await runtime.drain()  # a feed built on first read
            theirs = await runtime.microblog.feed(DEMO_USER_ID, FeedMode.TIMELINE, Window(), 20)
        async with open_runtime(settings, pool_max=2, strategy="pull") as runtime:
            pull = await runtime.microblog.feed(DEMO_USER_ID, FeedMode.TIMELINE, Window(), 20)
        assert [p.id for p in first.posts] in ([p.id for p in theirs.posts], [])
        return [p.id for p in theirs.posts], [p.id for p in pull.posts]

    theirs, pull = _thread(pages)
    assert len(pull) == 20
    assert theirs == pull


def test_the_demo_is_deterministic(make_db: MakeDb) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first, second = make_db(), make_db()
    _demo(first, now=now)
    _demo(second, now=now)
    queries = [
        "SELECT id, username, display_name, description, created_at, last_active_at,"
        " posts_count, followers_count, following_count FROM users ORDER BY id",
        "SELECT id, author_id, content, parent_id, reblog_of_id, visibility, created_at"
        " FROM posts ORDER BY id",
        "SELECT follower_id, followed_id, created_at FROM follows ORDER BY 1, 2",
        "SELECT user_id, post_id, created_at FROM favourites ORDER BY id",
        "SELECT post_id, user_id FROM mentions ORDER BY 1, 2",
        "SELECT user_id, from_id, type, post_id, created_at FROM notifications ORDER BY id",
    ]
    for query in queries:
        assert _rows(first, query) == _rows(second, query), query
    newest = _one(first, "SELECT max(created_at) FROM posts")
    assert newest == now - timedelta(minutes=3)


def test_the_mentions_are_real_accounts(demo_db: str) -> None:
    texts = [row[0] for row in _rows(demo_db, "SELECT content FROM posts WHERE id > 4000")]
    named = {name for text in texts for name in mentioned_names(text)}
    assert named and named <= {seeding.username(i) for i in range(1, PLAN.users + 1)}
    assert "{" not in "".join(texts)  # every role was filled in


def test_too_small_a_network_is_refused_before_anything_changes(make_db: MakeDb) -> None:
    url = make_db()
    small = SeedPlan(users=9, posts=50, follows_per_user=8, seed=1)
    seed.seed(url, small, PASSWORD)
    before = _rows(url, "SELECT id, created_at FROM posts ORDER BY id")
    with pytest.raises(DemoError, match="at least"):
        _enliven(url, small)
    assert _rows(url, "SELECT id, created_at FROM posts ORDER BY id") == before


def test_make_run_seeds_the_demo_once(
    make_db: MakeDb, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_db()
    monkeypatch.setenv("MICROBLOG_REDIS_URL", TEST_REDIS_URL)
    assert devserver.seed_if_empty(url) is True
    out = capsys.readouterr().out
    assert "brought it to the present" in out
    assert _one(url, "SELECT count(*) FROM users WHERE display_name = ''") == 0
    assert _one(url, "SELECT now() - max(created_at) FROM posts") < timedelta(minutes=10)
    count = _one(url, "SELECT count(*) FROM posts")
    assert devserver.seed_if_empty(url) is False  # users exist: nothing happens
    assert _one(url, "SELECT count(*) FROM posts") == count


def test_the_seed_command_can_bring_the_demo(make_db: MakeDb) -> None:
    url = make_db()
    env = {"MICROBLOG_DATABASE_URL": url, "MICROBLOG_REDIS_URL": TEST_REDIS_URL}
    args = ["seed", "--users", "200", "--posts", "4000", "--follows-per-user", "20", "--demo"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    writes = sum(isinstance(step, Write) for step in SCRIPT)
    assert f"brought it to the present: {writes} recent posts" in result.output
    assert dict(_rows(url, "SELECT id, display_name FROM users")) == display_names(PLAN)
    assert _one(url, "SELECT now() - max(created_at) FROM posts") < timedelta(minutes=10)

    small = ["seed", "--users", "9", "--posts", "50", "--force", "--demo"]
    result = CliRunner().invoke(main, small, env=env)
    assert result.exit_code == 1
    assert "the demo needs at least 10 users" in result.output
