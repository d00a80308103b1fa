"""Mastodon's rule for boosts in home feeds, applied over whichever strategy serves them.

A boost is not shown when the post it boosts, or another boost of that post, is among the
``FALLOFF`` entries of the reader's feed just older than the boost: a post seen a moment ago
does not come round again, while a boost of an old post still brings it back to the top.
(The other half of the rule, the reader's own posts boosted by others, is a plain filter:
``home_visible`` in ``store/sql/filters.sql``.)

Mastodon decides when it inserts a boost into a feed, against what that feed shows then.
Here it is decided when a page is read, against the feed's entries (what the strategy
returns, before this rule), so the answer is a function of the posts and follows alone: the
same in every strategy, with or without the cache, whatever order the jobs ran in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from microblog.domain.types import Window

FALLOFF = 40

Read = Callable[[Window, int], Awaitable[list[int]]]
"""A strategy's page: up to n entries of a window, newest first."""
Reblogs = Callable[[Sequence[int]], Awaitable[dict[int, int]]]
"""{boost id: boosted post id} for the boosts among some ids."""
Suspects = Callable[[dict[int, int]], Awaitable[set[int]]]
"""Of some boosts ({boost: boosted post}), those the rule may hide: the ones whose post, or
an older boost of it, is by an account the feed holds entries of. The others are shown
whatever the entries below them are, so they need no look below."""


async def _every(boosted: dict[int, int]) -> set[int]:
    return set(boosted)


def repeats(entries: Sequence[int], index: int, boosted: dict[int, int]) -> bool:
    """Whether ``entries[index]`` is a boost of a post that the ``FALLOFF`` entries after it
    (older ones: ``entries`` is newest first) hold, or hold another boost of."""
    original = boosted.get(entries[index])
    if original is None:
        return False
    older = entries[index + 1 : index + 1 + FALLOFF]
    return any(e == original or boosted.get(e) == original for e in older)


async def shown(
    read: Read,
    reblogs: Reblogs,
    window: Window,
    limit: int,
    suspects: Suspects = _every,
) -> list[int]:
    """Up to ``limit`` entries of ``window`` that the rule shows, newest first (the oldest
    ones of the window when ``oldest_first``). Entries are read in chunks of what is still
    missing. Only a chunk holding a boost that ``suspects`` names costs a second read: the
    entries below the chunk, down to the oldest post such a boost boosts (what it boosts,
    and other boosts of that, are never older), at most ``FALLOFF`` of them."""
    found: list[int] = []
    cursor = window
    while len(found) < limit:
        need = limit - len(found)
        chunk = await read(cursor, need)
        if not chunk:
            break
        boosted = await reblogs(chunk)
        entries = chunk
        doubtful = await suspects(boosted) if boosted else set()
        if doubtful:
            oldest = min(boosted[b] for b in doubtful)
            below = await read(Window(above=oldest - 1, below=chunk[-1]), FALLOFF)
            boosted |= await reblogs(below)
            entries = chunk + below
        kept = [
            e for i, e in enumerate(chunk) if e not in doubtful or not repeats(entries, i, boosted)
        ]
        found = kept + found if window.oldest_first else found + kept
        if len(chunk) < need:
            break
        if window.oldest_first:
            cursor = Window(above=chunk[0], below=window.below, oldest_first=True)
        else:
            cursor = Window(above=window.above, below=chunk[-1])
    return found
