"""Walking a feed page by page never repeats or skips a post, even while posts arrive."""

from __future__ import annotations

import random

import pytest

from microblog.domain.models import FeedMode
from microblog.domain.types import Window
from microblog.service import Microblog
from tests.conftest import Runtime
from tests.integration.network import Network, insert_random_network


@pytest.fixture
def microblog(runtime: Runtime) -> Microblog:
    return runtime.microblog


@pytest.mark.parametrize("mode", list(FeedMode))
async def test_pages_have_no_repeats_or_gaps_while_posts_arrive(
    clean_db: str, microblog: Microblog, mode: FeedMode
) -> None:
    rng = random.Random(3)
    net: Network = insert_random_network(clean_db, rng, users=12, posts=150, max_follows=6)
    reader = max(net.users, key=lambda u: len(net.expected(u, mode)))
    followed = [b for a, b in net.follows if a == reader]
    expected = net.expected(reader, mode)
    assert len(expected) > 10

    seen: list[int] = []
    window = Window()
    for _ in range(100):
        page = await microblog.feed(reader, mode, window, 4)
        seen += [p.id for p in page.posts]
        # Between two page reads, the reader and the people they follow keep posting.
        for author in [reader, *followed[:2]]:
            await microblog.create_post(author, f"new while paging {rng.random()}", None)
        if page.next_cursor is None:
            break
        window = Window(below=page.next_cursor)
    assert seen == expected


async def test_since_and_min_id_return_what_arrived(clean_db: str, microblog: Microblog) -> None:
    net = insert_random_network(clean_db, random.Random(4), users=6, posts=30, max_follows=5)
    reader = net.users[0]
    top = (await microblog.feed(reader, FeedMode.MINE, Window(), 1)).posts
    anchor = top[0].id if top else 0
    new = [(await microblog.create_post(reader, f"n{i}", None)).id for i in range(5)]
    since = await microblog.feed(reader, FeedMode.MINE, Window(above=anchor), 3)
    assert [p.id for p in since.posts] == new[::-1][:3]
    after = await microblog.feed(reader, FeedMode.MINE, Window(above=anchor, oldest_first=True), 3)
    assert [p.id for p in after.posts] == new[:3][::-1]
