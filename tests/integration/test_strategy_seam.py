"""The strategy seam: each strategy owns its state, the tools only ask it, and the engine's
work for a write is one unit (hooks in the transaction, cache invalidation after commit)."""

from __future__ import annotations

import asyncio
import itertools

import psycopg
import pytest
import redis
from click.testing import CliRunner, Result

from microblog.cli import main
from microblog.feeds import available, strategy_class
from microblog.settings import Settings
from microblog.store.cache import gen_key
from tests.conftest import flush_cache, open_test_runtime
from tests.integration.network import insert_random_network

STATEFUL = [name for name in available() if strategy_class(name).traits.state != "none"]


async def cli(url: str, *args: str) -> Result:
    """Run the command line (it runs its own event loop, hence the thread)."""
    env = {"MICROBLOG_DATABASE_URL": url}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


def snapshot(url: str, tables: tuple[str, ...]) -> dict[str, list[str]]:
    """Every row of the tables, as sorted JSON text."""
    found: dict[str, list[str]] = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            rows = conn.execute(f"SELECT to_jsonb(t)::text FROM {table} t").fetchall()  # noqa: S608
            found[table] = sorted(row[0] for row in rows)
    return found


def test_the_built_in_strategies_each_own_their_tables() -> None:
    owners = [strategy_class(name).tables for name in available()]
    tables = [t for owned in owners for t in owned]
    assert "feed_chunks" in tables and "hybrid_feed_chunks" in tables
    assert len(tables) == len(set(tables)), "no table has two owners"


async def test_rebuilding_one_strategy_never_touches_anothers_state(
    clean_db: str, settings: Settings
) -> None:
    import random

    url = clean_db
    insert_random_network(url, random.Random(3), users=12, posts=120, max_follows=6)
    with psycopg.connect(url) as conn:  # everyone is active: the view holds every reader
        conn.execute("UPDATE users SET last_active_at = now()")
    for name in STATEFUL:
        result = await cli(url, "feeds", "rebuild", "--strategy", name)
        assert result.exit_code == 0, result.output
    before = {name: snapshot(url, strategy_class(name).tables) for name in STATEFUL}
    for name in STATEFUL:
        assert any(before[name].values()), f"{name} built nothing to protect"
    for rebuilt, other in itertools.permutations(available(), 2):
        if other not in STATEFUL:
            continue
        result = await cli(url, "feeds", "rebuild", "--strategy", rebuilt, "--force")
        assert result.exit_code == 0, result.output
        after = snapshot(url, strategy_class(other).tables)
        assert after == before[other], f"rebuilding {rebuilt} changed {other}'s state"
        if rebuilt in STATEFUL:  # its own state was rebuilt: compare against that from now on
            before[rebuilt] = snapshot(url, strategy_class(rebuilt).tables)


async def test_rebuilding_pull_with_force_keeps_fanout_feeds(clean_db: str) -> None:
    import random

    url = clean_db
    insert_random_network(url, random.Random(4), users=8, posts=60, max_follows=5)
    result = await cli(url, "feeds", "rebuild", "--strategy", "fanout")
    assert "built 8 feed(s)" in result.output, result.output
    before = snapshot(url, ("feed_state", "feed_chunks"))
    result = await cli(url, "feeds", "rebuild", "--strategy", "pull", "--force")
    assert result.exit_code == 0, result.output
    assert "pull keeps no feed state: nothing to build" in result.output
    assert snapshot(url, ("feed_state", "feed_chunks")) == before
    result = await cli(url, "feeds", "verify", "--strategy", "fanout", "--sample", "8")
    assert "0 mismatches" in result.output, result.output


def username(url: str, user_id: int) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT username FROM users WHERE id = %s", (user_id,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("name", STATEFUL)
async def test_rebuild_of_one_user_builds_a_forgotten_feed(
    clean_db: str, settings: Settings, name: str
) -> None:
    import random

    url = clean_db
    net = insert_random_network(url, random.Random(5), users=8, posts=60, max_follows=5)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE users SET last_active_at = now()")
    assert (await cli(url, "feeds", "rebuild", "--strategy", name)).exit_code == 0
    reader = net.users[0]
    async with open_test_runtime(settings.replace(feed_strategy=name)) as runtime:
        strategy = runtime.engine.serving
        async with runtime.pool.connection() as conn:
            assert await strategy.is_built(conn, reader)
            await strategy.forget(conn, reader)
            assert not await strategy.is_built(conn, reader)
    user = username(url, reader)
    result = await cli(url, "feeds", "rebuild", "--strategy", name, "--user", user)
    assert result.exit_code == 0, result.output
    async with (
        open_test_runtime(settings.replace(feed_strategy=name)) as runtime,
        runtime.pool.connection() as conn,
    ):
        assert await runtime.engine.serving.is_built(conn, reader)


@pytest.mark.parametrize("name", [n for n in STATEFUL if strategy_class(n).traits.fans_out])
async def test_verify_finds_drift_and_rebuild_user_force_repairs_it(
    clean_db: str, name: str
) -> None:
    import random

    url = clean_db
    net = insert_random_network(url, random.Random(8), users=8, posts=60, max_follows=5)
    assert (await cli(url, "feeds", "rebuild", "--strategy", name)).exit_code == 0
    entries = strategy_class(name).tables[1]
    with psycopg.connect(url) as conn:  # drift: entries lost behind the engine's back
        conn.execute(f"DELETE FROM {entries} WHERE user_id = %s", (net.users[0],))  # noqa: S608
    every = ("--sample", "8", "--strategy", name)
    result = await cli(url, "feeds", "verify", *every)
    assert result.exit_code == 1 and f"reader {net.users[0]} " in result.output, result.output
    user = username(url, net.users[0])
    result = await cli(url, "feeds", "rebuild", "--strategy", name, "--user", user, "--force")
    assert "built 1 feed(s)" in result.output, result.output
    result = await cli(url, "feeds", "verify", *every)
    assert result.exit_code == 0 and "0 mismatches" in result.output, result.output


async def test_the_tests_own_strategy_passes_verify_and_has_nothing_to_build(
    clean_db: str,
) -> None:
    import random

    url = clean_db
    insert_random_network(url, random.Random(6), users=10, posts=80, max_follows=5)
    result = await cli(url, "feeds", "verify", "--strategy", "scan", "--sample", "10")
    assert result.exit_code == 0, result.output
    assert "10 readers" in result.output and "0 mismatches" in result.output
    result = await cli(url, "feeds", "rebuild", "--strategy", "scan", "--force")
    assert "scan keeps no feed state" in result.output, result.output


async def test_cache_is_invalidated_only_after_the_change_commits(settings: Settings) -> None:
    url = settings.database_url
    cached = settings.replace(feed_cache="redis", feed_cache_ttl_seconds=30)
    client = redis.Redis.from_url(cached.redis_url)
    async with open_test_runtime(cached) as runtime:
        await flush_cache(runtime)
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO users (username, password_digest) VALUES ('a', 'x')")
        author = 1

        def generation() -> bytes | None:
            return client.get(gen_key(author))  # type: ignore[return-value]

        from microblog.store import posts

        before = generation()
        async with runtime.pool.connection() as conn:
            async with runtime.engine.change(conn) as change:
                post_id = await posts.create(conn, author, "hello", None)
                await change.post_created(post_id, author, top_level=True)
                assert generation() == before, "invalidated before the commit"
            assert generation() != before
            # A change that rolls back drops nothing.
            settled = generation()
            with pytest.raises(RuntimeError, match="rolled back"):
                async with runtime.engine.change(conn) as change:
                    post_id = await posts.create(conn, author, "never", None)
                    await change.post_created(post_id, author, top_level=True)
                    raise RuntimeError("rolled back")
            assert generation() == settled
            # And a change cannot be reported once its block is over.
            with pytest.raises(RuntimeError, match="only inside"):
                await change.followed(author, author)
    client.close()
