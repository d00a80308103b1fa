"""The pull strategy's pages equal a plain reference on random data, for both query plans."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.feeds.pull import PullStrategy
from microblog.settings import Settings
from microblog.store import pull as pull_sql
from tests.conftest import NoJobs
from tests.integration.network import Network, insert_random_network

MODES = list(FeedMode)


no_jobs = NoJobs()


@pytest.fixture
def network(clean_db: str) -> Network:
    return insert_random_network(clean_db, random.Random(7), users=30, posts=400, max_follows=12)


@pytest.fixture
async def conn(clean_db: str) -> AsyncIterator[AsyncConnection[DictRow]]:
    async with await AsyncConnection.connect(clean_db, row_factory=dict_row) as c:
        yield c


def windows(ids: list[int], rng: random.Random) -> list[Window]:
    picks = rng.sample(ids, min(4, len(ids))) if ids else []
    result = [Window()]
    for pid in picks:
        result += [Window(below=pid), Window(above=pid), Window(above=pid, oldest_first=True)]
    if len(picks) >= 2:
        low, high = sorted(picks[:2])
        result.append(Window(above=low, below=high))
    return result


def in_window(expected: list[int], w: Window, limit: int) -> list[int]:
    inside = [i for i in expected if w.above < i < w.below]
    return inside[-limit:] if w.oldest_first else inside[:limit]


async def test_strategy_pages_match_reference(
    network: Network, conn: AsyncConnection[DictRow]
) -> None:
    strategy = PullStrategy(Settings(), no_jobs)
    rng = random.Random(11)
    checked = 0
    for reader in [*network.users, None]:
        for mode in MODES:
            if reader is None and mode is not FeedMode.ALL:
                continue
            expected = network.expected(reader, mode)
            for w in windows(list(network.posts), rng):
                for limit in (1, 7, 21):
                    got = await strategy.page(conn, reader, mode, w, limit)
                    assert got == in_window(expected, w, limit), (reader, mode, w, limit)
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize("merge", [True, False], ids=["merge", "scan"])
async def test_both_plans_match_reference(
    network: Network, conn: AsyncConnection[DictRow], merge: bool
) -> None:
    rng = random.Random(5)
    for reader in network.users:
        for include_self, mode in ((True, FeedMode.TIMELINE), (False, FeedMode.FOLLOWING)):
            expected = network.expected(reader, mode)
            for w in windows(list(network.posts), rng):
                got = await pull_sql.network(conn, reader, include_self, w, 9, merge)
                assert got == in_window(expected, w, 9), (reader, mode, w)


async def test_plan_follows_the_readers_network(
    network: Network, conn: AsyncConnection[DictRow]
) -> None:
    strategy = PullStrategy(Settings(), no_jobs)
    loner = min(network.users, key=lambda u: sum(1 for a, _ in network.follows if a == u))
    assert await strategy.plan_for(conn, loner, True, 21) == "merge"
