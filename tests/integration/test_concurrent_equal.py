"""Concurrent use ends in pull's pages, in every strategy, with the cache off and on.

Several clients at once post, reply, delete, follow, unfollow (and follow again at once),
read (a first read claims a feed and queues its build), go idle and run maintenance, on a
few shared accounts, while a job worker runs fan-outs and builds beside them. Once the
queue is idle, every reader's every feed must equal pull's. Any error but a user's own
mistake (deleting a post twice) fails the run: a deadlock must never reach a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random

import psycopg
import pytest

from microblog.domain.errors import MicroblogError
from microblog.domain.types import FeedMode, Window
from microblog.feeds import available
from microblog.runtime import Runtime, open_runtime
from microblog.settings import Settings
from tests.conftest import flush_cache, truncate_all
from tests.integration.network import make_active_users
from tests.integration.test_strategies_equal import check_equal, config_settings

CONFIGS = [(name, cache) for name in available() for cache in ("off", "redis")]
# More seeds for a longer hunt: MICROBLOG_TEST_RACE_SEEDS=50 make test.
SEEDS = range(int(os.environ.get("MICROBLOG_TEST_RACE_SEEDS", "3")))
CLIENTS = 4
STEPS = 20
USERS = 6


class Network:
    """The accounts and live posts the clients share."""

    def __init__(self, users: list[int]) -> None:
        self.users = users
        self.posts: list[tuple[int, int]] = []  # (post id, author)


async def client(runtime: Runtime, net: Network, rng: random.Random, url: str) -> None:
    """One client's random steps, each awaited (so they interleave with the others')."""
    blog = runtime.microblog
    for _ in range(STEPS):
        me, other = rng.sample(net.users, 2)
        step = rng.choice(
            [
                *("post", "post", "reply", "delete"),
                *("follow", "follow", "unfollow", "flip"),
                *("read", "read", "idle", "maintain"),
            ]
        )
        try:
            if step == "post" or (step == "reply" and not net.posts):
                net.posts.append(((await blog.create_post(me, "p", None)).id, me))
            elif step == "reply":
                parent, _ = rng.choice(net.posts)
                net.posts.append(((await blog.create_post(me, "r", parent)).id, me))
            elif step == "delete" and net.posts:
                post_id, author = rng.choice(net.posts)
                await blog.delete_post(author, post_id)
            elif step == "follow":
                await blog.follow(me, other)
            elif step == "unfollow":
                await blog.unfollow(me, other)
            elif step == "flip":  # follow -> unfollow -> follow of one pair within a moment
                await blog.follow(me, other)
                await blog.unfollow(me, other)
                await blog.follow(me, other)
            elif step == "read":
                await blog.feed(me, FeedMode.TIMELINE, Window(), 3)
            elif step == "idle":
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(
                        "UPDATE users SET last_active_at = now() - interval '30 days'"
                        " WHERE id = %s",
                        (me,),
                    )
            elif step == "maintain":
                await runtime.engine.maintain()
        except MicroblogError:
            pass  # a user's own mistake (the post was deleted meanwhile): a 4xx, not a race
        await asyncio.sleep(rng.choice([0, 0, 0.001, 0.005]))


@pytest.mark.parametrize(("strategy", "cache"), CONFIGS)
async def test_concurrent_use_ends_in_pull_pages(
    database_url: str, settings: Settings, strategy: str, cache: str
) -> None:
    for seed in SEEDS:
        truncate_all(database_url)
        config = config_settings(settings, strategy, cache)
        async with open_runtime(config, pool_max=CLIENTS + 4) as runtime:
            await flush_cache(runtime)
            net = Network(make_active_users(database_url, USERS, "c"))
            worker = asyncio.create_task(runtime.run_worker(concurrency=2))
            try:
                # A client's failure cancels the others (no step is left running), and the
                # whole history is bounded in time.
                async with asyncio.timeout(60), asyncio.TaskGroup() as clients:
                    for i in range(CLIENTS):
                        rng = random.Random(seed * 100 + i)
                        clients.create_task(client(runtime, net, rng, database_url))
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await runtime.drain()
            await runtime.engine.maintain()
            await runtime.drain()
            await check_equal(runtime, net.users)
