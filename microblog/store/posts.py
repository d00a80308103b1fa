"""Posts and boosts: create, delete, hydrate ids into full posts, threads, profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg.rows import DictRow

from microblog.domain.models import Mention, Post, ProfileFilter, User, Visibility
from microblog.domain.types import Window
from microblog.store.db import Conn, all_rows, execute, filtered, ids, one, ordered
from microblog.store.queries import load

SQL = load("posts")


@dataclass(frozen=True, slots=True)
class PostRef:
    """The few columns of a post that checks need."""

    id: int
    author_id: int
    visibility: Visibility
    reblog_of_id: int | None
    parent_id: int | None


def _to_post(row: DictRow) -> Post:
    author = User(
        id=row["author_id"],
        username=row["username"],
        display_name=row["display_name"],
        description=row["description"],
        posts_count=row["posts_count"],
        followers_count=row["followers_count"],
        following_count=row["following_count"],
        created_at=row["author_created_at"],
    )
    mentions = tuple(
        Mention(i, name) for i, name in zip(row["mention_ids"], row["mention_names"], strict=True)
    )
    return Post(
        id=row["id"],
        author=author,
        content=row["content"],
        parent_id=row["parent_id"],
        parent_author_id=row["parent_author_id"],
        parent_username=row["parent_username"],
        replies_count=row["replies_count"],
        created_at=row["created_at"],
        visibility=Visibility(row["visibility"]),
        mentions=mentions,
        favourites_count=row["favourites_count"],
        reblogs_count=row["reblogs_count"],
        favourited=row["favourited"],
        reblogged=row["reblogged"],
        bookmarked=row["bookmarked"],
        spoiler_text=row["spoiler_text"],
        sensitive=row["sensitive"],
        edited_at=row["edited_at"],
        tags=tuple(row["tags"]),
    )


async def create(
    conn: Conn,
    author_id: int,
    content: str,
    parent_id: int | None,
    visibility: Visibility = Visibility.PUBLIC,
    spoiler_text: str = "",
    sensitive: bool = False,
) -> int:
    """Insert a post (with its content warning, if any); its id."""
    params = {
        "author_id": author_id,
        "content": content,
        "parent_id": parent_id,
        "visibility": visibility.value,
        "spoiler_text": spoiler_text,
        "sensitive": sensitive,
    }
    row = await one(conn, SQL["create_post"], params)
    assert row is not None
    return int(row["id"])


async def add_tags(conn: Conn, post_id: int, tags: Sequence[str]) -> None:
    """Record a new post's hashtags (names as stored: ``rules.tag_name``)."""
    if tags:
        await execute(conn, SQL["add_tags"], {"post_id": post_id, "tags": list(tags)})


async def idempotent_post(conn: Conn, user_id: int, key: str) -> int | None:
    """The id of the post the account's ``Idempotency-Key`` made in the last hour, if any."""
    row = await one(conn, SQL["idempotent_post"], {"user_id": user_id, "key": key})
    return None if row is None else int(row["post_id"])


async def claim_idempotency_key(conn: Conn, user_id: int, key: str, post_id: int) -> bool:
    """Tie the account's key to its new post, in the post's transaction; False when the key
    is taken (by a request with it that committed first: this post must not be). The
    account's keys older than an hour go first, so such a key is free again."""
    await execute(conn, SQL["forget_stale_idempotency_keys"], {"user_id": user_id})
    params = {"user_id": user_id, "key": key, "post_id": post_id}
    return await one(conn, SQL["claim_idempotency_key"], params) is not None


async def create_boost(conn: Conn, author_id: int, post_id: int) -> int | None:
    """Insert the account's boost of a post; its id, or None when it boosted it already."""
    row = await one(conn, SQL["create_boost"], {"author_id": author_id, "post_id": post_id})
    return None if row is None else int(row["id"])


async def boost_by(conn: Conn, author_id: int, post_id: int) -> int | None:
    """The id of the account's boost of a post, if any."""
    row = await one(conn, SQL["boost_by"], {"author_id": author_id, "post_id": post_id})
    return None if row is None else int(row["id"])


async def boosts_of(conn: Conn, post_id: int) -> list[tuple[int, int]]:
    """(boost id, booster id) of every boost of a post."""
    rows = await all_rows(conn, SQL["boosts_of"], {"post_id": post_id})
    return [(row["id"], row["author_id"]) for row in rows]


async def boosts_of_author(conn: Conn, author_id: int) -> list[tuple[int, int]]:
    """(boost id, booster id) of every boost by others of an account's posts."""
    rows = await all_rows(conn, SQL["boosts_of_author"], {"author_id": author_id})
    return [(row["id"], row["author_id"]) for row in rows]


@dataclass(frozen=True, slots=True)
class Boost:
    """A boost among a page's entries: what it boosts, and whether the reader's feed may
    hold that post (or an older boost of it) too."""

    reblog_of_id: int
    suspect: bool


async def reblogs_among(
    conn: Conn, post_ids: Sequence[int], reader_id: int | None = None
) -> dict[int, Boost]:
    """The boosts among ``post_ids``, by id (``suspect`` as seen from the reader's home)."""
    if not post_ids:
        return {}
    params = {"ids": list(post_ids), "reader_id": reader_id}
    rows = await all_rows(conn, SQL["reblogs_among"], params)
    return {row["id"]: Boost(row["reblog_of_id"], bool(row["suspect"])) for row in rows}


async def add_mentions(conn: Conn, post_id: int, user_ids: Sequence[int]) -> None:
    """Record the accounts a post mentions."""
    if user_ids:
        await execute(conn, SQL["add_mentions"], {"post_id": post_id, "user_ids": list(user_ids)})


async def visible(conn: Conn, post_id: int, reader_id: int | None) -> PostRef | None:
    """The post, when it exists and the reader (None: anyone) may see it."""
    row = await one(conn, filtered(SQL["visible_post"]), {"id": post_id, "reader_id": reader_id})
    if row is None:
        return None
    return PostRef(
        row["id"],
        row["author_id"],
        Visibility(row["visibility"]),
        row["reblog_of_id"],
        row["parent_id"],
    )


async def author_of(conn: Conn, post_id: int) -> tuple[int, int | None] | None:
    """(author id, parent id) of a post, or None when it does not exist."""
    row = await one(conn, SQL["post_author"], {"id": post_id})
    return None if row is None else (row["author_id"], row["parent_id"])


async def delete(conn: Conn, post_id: int, author_id: int) -> bool:
    """Delete a post if ``author_id`` wrote it; whether it was deleted."""
    return await one(conn, SQL["delete_post"], {"id": post_id, "author_id": author_id}) is not None


async def ids_by_author(conn: Conn, author_id: int) -> list[int]:
    """Ids of every post of an author, oldest first."""
    rows = await all_rows(conn, SQL["ids_by_author"], {"author_id": author_id})
    return [row["id"] for row in rows]


async def hydrate(
    conn: Conn, post_ids: Sequence[int], reader_id: int | None = None, check: bool = False
) -> list[Post]:
    """Full posts for ``post_ids``, in the order given, with the reader's flags; ids that no
    longer exist (or, when ``check``, that the reader may not see) are left out. A boost
    carries the boosted post."""
    if not post_ids:
        return []
    params = {"ids": list(post_ids), "reader_id": reader_id, "check": check}
    rows = await all_rows(conn, filtered(SQL["hydrate_posts"]), params)
    by_id = {row["id"]: _to_post(row) for row in rows}
    boosted = {row["id"]: row["reblog_of_id"] for row in rows if row["reblog_of_id"]}
    if boosted:
        originals = await hydrate(conn, sorted(set(boosted.values())), reader_id, check)
        found = {p.id: p for p in originals}
        for boost_id, original_id in boosted.items():
            if original_id in found:
                by_id[boost_id] = _with_reblog(by_id[boost_id], found[original_id])
            else:
                del by_id[boost_id]
    return [by_id[i] for i in post_ids if i in by_id]


def _with_reblog(boost: Post, original: Post) -> Post:
    return Post(
        id=boost.id,
        author=boost.author,
        content=boost.content,
        parent_id=None,
        parent_author_id=None,
        parent_username=None,
        replies_count=0,
        created_at=boost.created_at,
        visibility=boost.visibility,
        reblog=original,
    )


async def get(conn: Conn, post_id: int, reader_id: int | None = None) -> Post | None:
    """One full post (with the reader's flags; not checked against the reader)."""
    found = await hydrate(conn, [post_id], reader_id)
    return found[0] if found else None


async def ancestors(conn: Conn, post_id: int) -> list[int]:
    """Ids of the posts that ``post_id`` answers, oldest (the thread's root) first."""
    rows = await all_rows(conn, SQL["ancestors"], {"id": post_id})
    return [row["id"] for row in reversed(rows)]


async def descendants(conn: Conn, post_id: int) -> list[int]:
    """Ids of the replies under ``post_id``, oldest first."""
    rows = await all_rows(conn, SQL["descendants"], {"id": post_id})
    return [row["id"] for row in rows]


async def profile(
    conn: Conn,
    author_id: int,
    reader_id: int | None,
    window: Window,
    limit: int,
    only: ProfileFilter | None = None,
) -> list[int]:
    """Ids of an account's posts and boosts the reader may see, newest first."""
    only = only or ProfileFilter()
    params = {
        "author_id": author_id,
        "reader_id": reader_id,
        "exclude_reblogs": only.exclude_reblogs,
        "exclude_replies": only.exclude_replies,
        "tagged": only.tagged,
        "above": window.above,
        "below": window.below,
        "limit": limit,
    }
    found = await ids(conn, ordered(SQL["profile"], not window.oldest_first), params)
    return found[::-1] if window.oldest_first else found
