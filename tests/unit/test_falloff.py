"""The boost rule of home feeds (``feeds/falloff.py``) over fake feeds (pure).

A feed is a list of entry ids and a map {boost: boosted post}; ``reference`` applies the
rule to the whole list at once, and ``shown`` must give the same entries for any window and
limit, reading the feed in chunks as a strategy would serve it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from microblog.domain.types import Window
from microblog.feeds import falloff
from microblog.feeds.falloff import FALLOFF, Read, Reblogs, repeats, shown


class Feed:
    """A strategy's entries (any order given; served newest first) and its boosts, with a
    log of the reads and boost look-ups ``shown`` makes."""

    def __init__(self, entries: Sequence[int], boosted: dict[int, int] | None = None) -> None:
        self.entries = sorted(entries, reverse=True)
        self.boosted = dict(boosted or {})
        self.reads: list[tuple[Window, int]] = []
        self.lookups: list[list[int]] = []

    @property
    def read(self) -> Read:
        async def read(w: Window, n: int) -> list[int]:
            self.reads.append((w, n))
            inside = [e for e in self.entries if w.above < e < w.below]
            return inside[-n:] if w.oldest_first else inside[:n]

        return read

    @property
    def reblogs(self) -> Reblogs:
        async def reblogs(ids: Sequence[int]) -> dict[int, int]:
            self.lookups.append(list(ids))
            return {i: self.boosted[i] for i in ids if i in self.boosted}

        return reblogs

    async def shown(self, window: Window, limit: int) -> list[int]:
        return await shown(self.read, self.reblogs, window, limit)


def reference(entries: Sequence[int], boosted: dict[int, int]) -> list[int]:
    """The entries the rule shows, newest first, from the whole feed at once (written apart
    from ``repeats``): a boost goes when the 40 entries just older than it hold what it
    boosts or another boost of it."""
    ordered = sorted(entries, reverse=True)
    kept = []
    for i, entry in enumerate(ordered):
        original = boosted.get(entry)
        older = ordered[i + 1 : i + 1 + 40]
        if original is not None and any(o == original or boosted.get(o) == original for o in older):
            continue
        kept.append(entry)
    return kept


def expected(entries: Sequence[int], boosted: dict[int, int], w: Window, n: int) -> list[int]:
    inside = [e for e in reference(entries, boosted) if w.above < e < w.below]
    return inside[-n:] if w.oldest_first else inside[:n]


def test_the_rule_looks_forty_entries_back() -> None:
    assert FALLOFF == 40
    # Newest first: a boost (1000, of 1) with k plain entries between it and its original.
    for between, hidden in ((0, True), (39, True), (40, False), (41, False)):
        entries = [1000, *range(500 + between, 500, -1), 1]
        boosted = {1000: 1}
        assert repeats(entries, 0, boosted) is hidden, between
    # Another boost of the same original counts as the original; a boost of another does not.
    entries = [1000, *range(539, 500, -1), 900, 1]
    assert repeats(entries, 0, {1000: 1, 900: 1})  # 900 is the 40th entry older than 1000
    assert not repeats(entries, 0, {1000: 1, 900: 2})
    entries = [1000, *range(540, 500, -1), 900]
    assert not repeats(entries, 0, {1000: 1, 900: 1})  # the 41st


def test_only_older_entries_count() -> None:
    # 9 and 8 boost 3, 7 boosts 5 (not in the feed); what is newer than an entry never
    # hides it.
    entries = [9, 8, 7, 3]
    boosted = {9: 3, 8: 3, 7: 5}
    assert repeats(entries, 0, boosted)  # 8 boosts 3 too, and 3 is there
    assert repeats(entries, 1, boosted)  # 3 is older than 8
    assert not repeats(entries, 2, boosted)  # 5 is not in the feed
    assert not repeats(entries, 3, boosted)  # not a boost
    # The oldest boost of a post is shown, however many newer ones follow it.
    assert not repeats([9, 8, 7], 2, {9: 1, 8: 1, 7: 1})
    assert repeats([9, 8, 7], 1, {9: 1, 8: 1, 7: 1})


async def test_a_feed_without_boosts_costs_one_read_per_chunk() -> None:
    feed = Feed(range(1, 21))
    assert await feed.shown(Window(), 5) == [20, 19, 18, 17, 16]
    assert feed.reads == [(Window(), 5)]
    assert feed.lookups == [[20, 19, 18, 17, 16]]


async def test_a_chunk_with_a_boost_reads_the_forty_entries_below_it() -> None:
    # 30 boosts 2, which the feed does not hold: shown, but knowing it takes a look at the
    # entries below the chunk, down to 2 (what it boosts, and other boosts of that, are
    # never older than 2), at most 40 of them.
    feed = Feed([30, 29, 28, 27, 26, 25, 3], {30: 2})
    assert await feed.shown(Window(), 3) == [30, 29, 28]
    assert feed.reads == [(Window(), 3), (Window(above=1, below=28), FALLOFF)]
    assert feed.lookups == [[30, 29, 28], [27, 26, 25, 3]]
    # 30 boosts 3, which is among the entries below the chunk: hidden, and the page is
    # filled from further down.
    feed = Feed([30, 29, 28, 27, 26, 25, 3], {30: 3})
    assert await feed.shown(Window(), 3) == [29, 28, 27]
    assert feed.reads[:2] == [(Window(), 3), (Window(above=2, below=28), FALLOFF)]
    assert feed.reads[2] == (Window(below=28), 1)


async def test_boosts_no_entry_can_repeat_need_no_look_below() -> None:
    # The engine names the boosts whose post (or an older boost of it) is by an account
    # the feed holds entries of; the others are shown without reading below the chunk.
    feed = Feed([30, 29, 28, 27, 3], {30: 3, 29: 2})

    async def suspects(boosted: dict[int, int]) -> set[int]:
        return {b for b in boosted if boosted[b] == 3}

    assert await shown(feed.read, feed.reblogs, Window(), 3, suspects) == [29, 28, 27]
    assert feed.reads[1] == (Window(above=2, below=28), FALLOFF)  # down to 3 only
    feed = Feed([30, 29, 28, 27, 3], {29: 2})
    assert await shown(feed.read, feed.reblogs, Window(), 3, suspects) == [30, 29, 28]
    assert feed.reads == [(Window(), 3)]  # 29 suspected of nothing: no second read


async def test_hidden_boosts_make_the_page_read_on() -> None:
    # Boosts 50, 49 and 48 all repeat 10 (a post a few entries older): a page of 3 needs
    # two more chunks to find 3 shown entries, then one more read below the last chunk.
    entries = [50, 49, 48, 47, 46, 45, 10, 9]
    boosted = {50: 10, 49: 10, 48: 10}
    feed = Feed(entries, boosted)
    assert await feed.shown(Window(), 3) == [47, 46, 45]
    assert [w for w, _ in feed.reads] == [
        Window(),  # 50, 49, 48: all hidden
        Window(above=9, below=48),  # their older entries, down to 10
        Window(below=48),  # the next chunk: 47, 46, 45, no boost, no read below
    ]
    assert [n for _, n in feed.reads] == [3, FALLOFF, 3]


async def test_the_feed_ends() -> None:
    feed = Feed([])
    assert await feed.shown(Window(), 5) == []
    assert feed.reads == [(Window(), 5)]
    assert feed.lookups == []  # nothing read, nothing looked up

    # Fewer entries than asked: one read, no second chunk.
    feed = Feed([5, 4, 3], {5: 3})
    assert await feed.shown(Window(), 10) == [4, 3]
    assert [w for w, _ in feed.reads] == [Window(), Window(above=2, below=3)]

    # Every entry hidden but the original: the page holds what is left, then stops.
    feed = Feed([9, 8, 7, 1], {9: 1, 8: 1, 7: 1})
    assert await feed.shown(Window(), 2) == [1]
    assert await feed.shown(Window(below=1), 2) == []


async def test_oldest_first_windows() -> None:
    # The oldest entries of the window, newest first; a boost just above the cursor is
    # hidden by its original just below the cursor (outside the window).
    entries = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10]
    boosted = {13: 11, 16: 12, 20: 19}
    feed = Feed(entries, boosted)
    assert await feed.shown(Window(above=12, oldest_first=True), 3) == [17, 15, 14]
    assert await feed.shown(Window(above=12, below=16, oldest_first=True), 3) == [15, 14]
    assert await feed.shown(Window(above=18, oldest_first=True), 3) == [19]
    # min_id after the newest: nothing.
    assert await feed.shown(Window(above=20, oldest_first=True), 3) == []


async def test_oldest_first_reads_newer_chunks_until_full() -> None:
    # 4 boosts of 1 right above it: hidden; a page of 2 from the oldest end above 1 needs a
    # second chunk, newer than the first.
    feed = Feed([9, 8, 7, 6, 5, 4, 3, 2, 1], {2: 1, 3: 1, 4: 1, 5: 1})
    assert await feed.shown(Window(above=1, oldest_first=True), 2) == [7, 6]
    reads = [w for w, _ in feed.reads]
    assert reads[0] == Window(above=1, oldest_first=True)
    assert Window(above=3, oldest_first=True) in reads  # the chunk after 2 and 3


@pytest.mark.parametrize("seed", range(40))
async def test_any_window_matches_the_whole_feed(seed: int) -> None:
    rng = random.Random(seed)
    # Enough entries, and boosts close enough, that chunks hold hidden boosts and pages
    # cross the 40-entry horizon.
    ids = sorted(rng.sample(range(1, 400), rng.randint(0, 150)))
    held = set(ids)
    boosted: dict[int, int] = {}
    originals = rng.sample(ids, min(len(ids), rng.randint(1, 6))) if ids else []
    for i in ids:
        if originals and rng.random() < 0.35:
            original = rng.choice(originals)
            if original < i:
                boosted[i] = original
            elif rng.random() < 0.3:  # a boost of a post the feed does not hold
                # (older than the boost, as every boosted post is: ids only grow)
                outside = [x for x in range(1, i) if x not in held]
                if outside:
                    boosted[i] = rng.choice(outside)
    feed = Feed(ids, boosted)
    for _ in range(25):
        a, b = sorted(rng.sample(range(0, 420), 2))
        w = rng.choice(
            [
                Window(),
                Window(below=b),
                Window(above=a, oldest_first=True),
                Window(above=a, below=b, oldest_first=rng.random() < 0.5),
            ]
        )
        n = rng.randint(1, 45)
        assert await feed.shown(w, n) == expected(ids, boosted, w, n), (w, n)


async def test_pages_walked_by_cursor_give_the_whole_feed() -> None:
    rng = random.Random(7)
    ids = list(range(1, 200))
    boosted = {i: rng.randint(1, i - 1) for i in ids if i > 2 and rng.random() < 0.5}
    feed = Feed(ids, boosted)
    whole = reference(ids, boosted)
    assert len(whole) < len(ids)  # the rule hides some
    for limit in (1, 3, 20):
        walked: list[int] = []
        w = Window()
        while True:
            page = await feed.shown(w, limit)
            walked += page
            if len(page) < limit:
                break
            w = Window(below=page[-1])
        assert walked == whole, limit
        # And back up from the oldest end with min_id cursors.
        walked = []
        w = Window(above=0, oldest_first=True)
        while True:
            page = await feed.shown(w, limit)
            walked = page + walked
            if len(page) < limit:
                break
            w = Window(above=page[0], oldest_first=True)
        assert walked == whole, limit


def test_module_constant_is_the_one_used() -> None:
    assert falloff.FALLOFF == FALLOFF
