"""Pages stitched from sources that each cover one range of post ids.

A strategy with precomputed state covers part of the id line (say, ids above a reader's
floor) and leaves the rest to the pull path. ``stitch`` reads a page across such ranges so
that the seam between them never repeats or skips a post.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from microblog.domain.types import Window

Source = Callable[[Window, int], Awaitable[list[int]]]
"""Reads up to n ids inside a window, newest first (from the oldest end if oldest_first)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Ids strictly between ``above`` and ``below`` come from ``source``."""

    above: int
    below: int
    source: Source


async def stitch(segments: Sequence[Segment], window: Window, limit: int) -> list[int]:
    """A page of ``limit`` ids of ``window`` from disjoint segments, newest first.

    Segments are visited from the end the page is taken from, each asked only for the part
    of the window it covers and only for as many ids as are still missing.
    """
    ordered = sorted(segments, key=lambda s: s.below, reverse=not window.oldest_first)
    found: list[int] = []
    for seg in ordered:
        if len(found) >= limit:
            break
        part = Window(
            above=max(window.above, seg.above),
            below=min(window.below, seg.below),
            oldest_first=window.oldest_first,
        )
        if part.below - part.above <= 1:
            continue
        ids = await seg.source(part, limit - len(found))
        found = ids + found if window.oldest_first else found + ids
    if window.oldest_first:
        return found[-limit:] if len(found) > limit else found
    return found[:limit]
