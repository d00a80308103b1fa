"""Push feeds (fanout, hybrid): feed state, fan-out, backfill, trim, retire, celebrities."""

from __future__ import annotations

from collections.abc import Sequence

from microblog.domain.rules import MAX_ID
from microblog.store.db import Conn, all_rows, execute, one, ordered


async def floor(conn: Conn, reader_id: int) -> int | None:
    """The reader's floor (``MAX_ID`` while building), or None without a pushed feed."""
    row = await one(conn, "push_floor", {"reader_id": reader_id})
    return None if row is None else int(row["floor"])


async def claim(conn: Conn, reader_id: int) -> bool:
    """Create an empty feed being built; False when the reader already has one."""
    return await one(conn, "push_claim", {"reader_id": reader_id, "max_id": MAX_ID}) is not None


async def page(
    conn: Conn,
    reader_id: int,
    include_self: bool,
    merge_celebrities: bool,
    above: int,
    below: int,
    limit: int,
    descending: bool,
) -> list[int]:
    """Ids from the reader's entries (plus own and celebrities' posts) in a window."""
    params = {
        "reader_id": reader_id,
        "include_self": include_self,
        "merge_celebrities": merge_celebrities,
        "above": above,
        "below": below,
        "limit": limit,
    }
    cur = await conn.execute(ordered("push_page", descending), params)
    return [row["id"] for row in await cur.fetchall()]


async def lock_authors(conn: Conn, author_ids: Sequence[int]) -> None:
    """Serialize this transaction with others touching the same authors' feed entries."""
    await execute(conn, "lock_authors", {"author_ids": list(author_ids)})


async def authors_of(conn: Conn, post_ids: Sequence[int]) -> list[int]:
    """Distinct authors of some posts."""
    rows = await all_rows(conn, "post_authors", {"post_ids": list(post_ids)})
    return [row["author_id"] for row in rows]


async def fan_out(conn: Conn, post_ids: Sequence[int], skip_celebrities: bool) -> int:
    """Write the posts into their authors' followers' feeds; rows inserted."""
    params = {"post_ids": list(post_ids), "skip_celebrities": skip_celebrities, "max_id": MAX_ID}
    return await execute(conn, "push_fanout", params)


async def backfill(conn: Conn, reader_ids: Sequence[int], author_id: int, cap: int) -> int:
    """Merge an author's posts into readers' feeds (after a follow or a demotion)."""
    params = {"reader_ids": list(reader_ids), "author_id": author_id, "cap": cap, "max_id": MAX_ID}
    inserted = await execute(conn, "push_backfill", params)
    await execute(conn, "push_raise_floor", params)
    return inserted


async def unmerge(conn: Conn, reader_id: int, author_id: int) -> int:
    """Remove an author's posts from a reader's feed (after an unfollow)."""
    return await execute(conn, "push_unmerge", {"reader_id": reader_id, "author_id": author_id})


async def unpush(conn: Conn, post_id: int, author_id: int) -> int:
    """Remove a deleted post from its author's followers' feeds."""
    return await execute(conn, "push_unpush", {"post_id": post_id, "author_id": author_id})


async def fill(conn: Conn, reader_id: int, cap: int) -> int:
    """Build a claimed feed from the reader's newest ``cap`` posts; rows updated (0 or 1)."""
    return await execute(conn, "push_fill", {"reader_id": reader_id, "cap": cap, "max_id": MAX_ID})


async def trim(conn: Conn, after: int, batch: int, cap: int) -> int | None:
    """Trim one batch of feeds (by user id after ``after``); the last user id, or None."""
    params = {"after": after, "batch": batch, "cap": cap, "max_id": MAX_ID}
    row = await one(conn, "push_trim", params)
    return None if row is None or row["last"] is None else int(row["last"])


async def retire(conn: Conn, active_days: int, grace_seconds: int) -> None:
    """Stop pushing to inactive readers, and drop the feeds retired a pass ago."""
    params = {"active_days": active_days, "grace_seconds": grace_seconds, "max_id": MAX_ID}
    await execute(conn, "push_retire_drop", params)
    await execute(conn, "push_retire_mark", params)


async def promote_celebrities(conn: Conn, threshold: int) -> list[int]:
    """Accounts that just crossed the follower threshold."""
    rows = await all_rows(conn, "celebrities_promote", {"threshold": threshold})
    return [row["user_id"] for row in rows]


async def celebrities_to_demote(conn: Conn, threshold: int) -> list[int]:
    """Celebrities that fell below 90% of the threshold."""
    rows = await all_rows(conn, "celebrities_to_demote", {"threshold": threshold})
    return [row["user_id"] for row in rows]


async def drop_celebrity(conn: Conn, author_id: int) -> bool:
    """Remove an account from the celebrities."""
    return await one(conn, "celebrity_drop", {"author_id": author_id}) is not None


async def is_celebrity(conn: Conn, author_id: int) -> bool:
    """Whether an account's posts are merged at read time."""
    return await one(conn, "is_celebrity", {"author_id": author_id}) is not None


async def followers_with_feeds(conn: Conn, author_id: int) -> list[int]:
    """Followers of an author who have a pushed feed."""
    rows = await all_rows(conn, "follower_ids_with_feeds", {"author_id": author_id})
    return [row["follower_id"] for row in rows]


async def user_ids_after(conn: Conn, after: int, batch: int) -> list[int]:
    """A batch of user ids, for walking every user."""
    rows = await all_rows(conn, "push_readers_after", {"after": after, "batch": batch})
    return [row["id"] for row in rows]


async def storage_bytes(conn: Conn) -> int:
    """Bytes of push feed state on disk (tables and indexes)."""
    row = await one(conn, "push_storage", {})
    return 0 if row is None else int(row["bytes"])


async def forget(conn: Conn, reader_id: int) -> None:
    """Drop a reader's pushed feed (to build it again)."""
    async with conn.transaction():
        await execute(conn, "push_forget", {"reader_id": reader_id})
        await execute(conn, "push_forget_entries", {"reader_id": reader_id})
