"""Search: accounts by name prefix, posts by full text, hashtags by prefix, and the public
posts of a hashtag (``post_tags``, which posting fills)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microblog.domain.models import User
from microblog.domain.types import Window
from microblog.store.db import Conn, all_rows, filtered, ids, one, ordered
from microblog.store.queries import load
from microblog.store.users import to_user

SQL = load("search")
# The highest code point, and the surrogates, which no text holds.
_MAX_CHAR = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


@dataclass(frozen=True, slots=True)
class Hashtag:
    """A hashtag (lower-cased, without its ``#``) and how many public posts carry it."""

    name: str
    uses: int


def prefix_range(prefix: str) -> tuple[str, str] | None:
    """The strings starting with ``prefix``, as the range [low, high) in code point order
    (which is UTF-8's byte order: the order of text_pattern_ops and of the "C" collation).
    None for an empty prefix, or one of U+10FFFF alone (a noncharacter no input holds):
    callers search for nothing then."""
    for cut in range(len(prefix), 0, -1):
        code = ord(prefix[cut - 1]) + 1
        if code in _SURROGATES:
            code = _SURROGATES.stop
        if code <= _MAX_CHAR:
            return prefix, prefix[: cut - 1] + chr(code)
    return None


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching the strings that start with ``prefix`` (its ``%``, ``_`` and
    ``\\`` taken literally)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _prefix_params(prefix: str) -> dict[str, str] | None:
    bounds = prefix_range(prefix)
    if bounds is None:
        return None
    low, high = bounds
    return {"low": low, "high": high, "pattern": like_prefix(prefix), "exact": prefix}


async def accounts(
    conn: Conn,
    prefix: str,
    reader_id: int | None,
    following: bool,
    limit: int,
    offset: int,
) -> list[User]:
    """Accounts whose username or display name starts with ``prefix`` (lower-case): the
    exact username first, then by followers, most first; only the ones the reader follows
    when ``following``."""
    bounds = _prefix_params(prefix)
    if bounds is None:
        return []
    params = {
        **bounds,
        "reader_id": reader_id,
        "following": following,
        "limit": limit,
        "offset": offset,
    }
    return [to_user(row) for row in await all_rows(conn, SQL["accounts"], params)]


async def account_named(
    conn: Conn, username: str, reader_id: int | None, following: bool
) -> User | None:
    """The account of this exact username (lower-case), if any (and followed by the reader,
    when ``following``)."""
    params = {"exact": username, "reader_id": reader_id, "following": following}
    row = await one(conn, SQL["account_named"], params)
    return None if row is None else to_user(row)


async def statuses(
    conn: Conn,
    query: str,
    reader_id: int | None,
    account_id: int | None,
    window: Window,
    limit: int,
    offset: int,
) -> list[int]:
    """Ids of the posts (not boosts) matching a web-search query (PostgreSQL's
    ``websearch_to_tsquery``, 'simple' configuration), newest first: those the reader may
    see, without hidden authors, within the window's ids; only ``account_id``'s when
    given."""
    params = {
        "q": query,
        "reader_id": reader_id,
        "account_id": account_id,
        "above": window.above,
        "below": window.below,
        "limit": limit,
        "offset": offset,
    }
    return await ids(conn, filtered(SQL["statuses"]), params)


async def hashtags(conn: Conn, prefix: str, limit: int, offset: int) -> list[Hashtag]:
    """Hashtags of public posts starting with ``prefix`` (lower-case, no ``#``) with their
    counts of public posts: the exact one first, then the most used."""
    bounds = _prefix_params(prefix)
    if bounds is None:
        return []
    params = {**bounds, "limit": limit, "offset": offset}
    rows = await all_rows(conn, SQL["hashtags"], params)
    return [Hashtag(row["tag"], int(row["uses"])) for row in rows]


async def hashtag(conn: Conn, tag: str) -> Hashtag:
    """A hashtag with its count of public posts (0 for one no public post carries)."""
    row = await one(conn, SQL["hashtag_uses"], {"tag": tag})
    return Hashtag(tag, 0 if row is None else int(row["uses"]))


async def tag_timeline(
    conn: Conn,
    tag: str,
    reader_id: int | None,
    window: Window,
    limit: int,
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
) -> list[int]:
    """Ids of the public posts carrying ``tag`` in the window, newest first (the window's
    order for ``min_id``, then reversed), without hidden authors; only those carrying each
    of ``all_of`` and none of ``none_of``."""
    params = {
        "tag": tag,
        "reader_id": reader_id,
        "above": window.above,
        "below": window.below,
        "limit": limit,
        "all": list(all_of),
        "none": list(none_of),
    }
    found = await ids(conn, ordered(SQL["tag_timeline"], not window.oldest_first), params)
    return found[::-1] if window.oldest_first else found
