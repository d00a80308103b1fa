"""Stitching a page across ranges covered by different sources (pure)."""

from __future__ import annotations

import itertools
import random

import pytest

from microblog.domain.types import Window
from microblog.feeds.segments import Segment, Source, stitch

MAX = 10**6


def source_of(ids: list[int], calls: list[Window]) -> Source:
    async def read(w: Window, n: int) -> list[int]:
        calls.append(w)
        inside = sorted((i for i in ids if w.above < i < w.below), reverse=True)
        return inside[-n:] if w.oldest_first else inside[:n]

    return read


def reference(ids: list[int], w: Window, n: int) -> list[int]:
    inside = sorted((i for i in ids if w.above < i < w.below), reverse=True)
    return inside[-n:] if w.oldest_first else inside[:n]


@pytest.mark.parametrize("seed", range(30))
async def test_stitched_pages_equal_one_source(seed: int) -> None:
    rng = random.Random(seed)
    ids = sorted(rng.sample(range(1, 500), 120))
    cuts = sorted(rng.sample(range(1, 500), rng.randint(0, 3)))
    bounds = [0, *cuts, MAX]
    calls: list[Window] = []
    segments = [
        Segment(
            lo, hi + 1 if hi != MAX else MAX, source_of([i for i in ids if lo < i <= hi], calls)
        )
        for lo, hi in itertools.pairwise(bounds)
    ]
    for _ in range(20):
        a, b = sorted(rng.sample(range(0, 520), 2))
        w = Window(above=a, below=b, oldest_first=rng.random() < 0.4)
        n = rng.randint(1, 30)
        assert await stitch(segments, w, n) == reference(ids, w, n), (cuts, w, n)


async def test_a_full_first_segment_leaves_the_rest_unread() -> None:
    calls_top: list[Window] = []
    calls_low: list[Window] = []
    segments = [
        Segment(100, MAX, source_of(list(range(101, 200)), calls_top)),
        Segment(0, 101, source_of(list(range(1, 101)), calls_low)),
    ]
    assert await stitch(segments, Window(), 5) == [199, 198, 197, 196, 195]
    assert calls_low == []
    assert await stitch(segments, Window(below=103), 4) == [102, 101, 100, 99]
    assert calls_low == [Window(above=0, below=101)]
