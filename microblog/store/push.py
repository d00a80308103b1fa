"""Push feeds (fanout, hybrid): feed state, fan-out, backfill, trim, retire, celebrities.

Each push strategy keeps its own pair of tables; a ``PushStore`` runs the queries of
``sql/push.sql`` against one pair, so one strategy's work never touches another's feeds.
A feed's entries are kept in chunks, rows of up to ``chunk`` post ids (migration 0011).
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql
from psycopg.rows import DictRow

from microblog.domain.rules import MAX_ID
from microblog.domain.types import Window
from microblog.store.db import Conn, all_rows, execute, ids, one, ordered
from microblog.store.queries import load

SQL = load("push")
# Chunks a reader's feed may spread over before the upkeep rewrites it as full ones: a
# full feed's chunks, and a few small ones from fan-outs since the last pass.
SPARE_CHUNKS = 4
# A page newest first reads the newest chunks holding NEAR times its length in ids.
NEAR = 2


class PushStore:
    """The push queries over one strategy's ``state`` and ``entries`` tables."""

    def __init__(self, state: str, chunks: str, chunk: int) -> None:
        self.state = state
        self.chunks = chunks
        self.chunk = chunk

    def _sql(self, name: str, descending: bool = True) -> sql.Composed:
        return ordered(SQL[name], descending, state=self.state, chunks=self.chunks)

    async def floor(self, conn: Conn, reader_id: int) -> int | None:
        """The reader's floor (``MAX_ID`` while building), or None without a pushed feed."""
        row = await one(conn, self._sql("floor"), {"reader_id": reader_id})
        return None if row is None else int(row["floor"])

    async def claim(self, conn: Conn, reader_id: int) -> bool:
        """Create an empty feed being built; False when the reader already has one."""
        params = {"reader_id": reader_id, "max_id": MAX_ID}
        return await one(conn, self._sql("claim"), params) is not None

    async def page(
        self,
        conn: Conn,
        reader_id: int,
        include_self: bool,
        merge_celebrities: bool,
        window: Window,
        limit: int,
    ) -> list[int]:
        """Ids from the reader's entries (plus own and celebrities' posts) in a window,
        newest first.

        A page newest first unnests only the newest chunks that hold about twice ``limit``
        ids; when those did not settle the page (posts hidden from the reader, repeats),
        it is read again from every chunk that meets the window."""
        params = {
            "reader_id": reader_id,
            "include_self": include_self,
            "merge_celebrities": merge_celebrities,
            "above": window.above,
            "below": window.below,
            "limit": limit,
            "want": None if window.oldest_first else NEAR * limit,
        }
        query = self._sql("page", not window.oldest_first)
        found, cut = _page(await all_rows(conn, query, params))
        if cut is not None and (len(found) < limit or found[-1] <= cut):
            found, _ = _page(await all_rows(conn, query, {**params, "want": None}))
        return found[::-1] if window.oldest_first else found

    async def fan_out(self, conn: Conn, post_ids: Sequence[int], skip_celebrities: bool) -> int:
        """Write the posts into their authors' followers' feeds; chunks written (one per
        follower reached)."""
        params = {
            "post_ids": list(post_ids),
            "skip_celebrities": skip_celebrities,
            "max_id": MAX_ID,
        }
        return await execute(conn, self._sql("fanout"), params)

    async def backfill(
        self, conn: Conn, reader_ids: Sequence[int], author_id: int, cap: int
    ) -> int:
        """Merge an author's posts into readers' feeds (after a follow or a demotion)."""
        params = {
            "reader_ids": list(reader_ids),
            "author_id": author_id,
            "cap": cap,
            "max_id": MAX_ID,
            "chunk": self.chunk,
        }
        inserted = await execute(conn, self._sql("backfill"), params)
        await execute(conn, self._sql("raise_floor"), params)
        return inserted

    async def unmerge(self, conn: Conn, reader_id: int, author_id: int) -> int:
        """Remove an author's posts from a reader's feed (after an unfollow)."""
        params = {"reader_id": reader_id, "author_id": author_id}
        return await execute(conn, self._sql("unmerge"), params)

    async def unpush(self, conn: Conn, post_id: int, author_id: int) -> int:
        """Remove a deleted post from its author's followers' feeds."""
        params = {"post_id": post_id, "author_id": author_id}
        return await execute(conn, self._sql("unpush"), params)

    async def drop_author(self, conn: Conn, author_id: int, cap: int) -> int:
        """Remove every post of an author from its followers' feeds (its account is going):
        by its post ids when it has at most ``cap`` (a probe per follower and post), else by
        walking each follower's entries (a probe per entry; a feed holds about ``cap``)."""
        limit = {"author_id": author_id, "limit": cap + 1}
        post_ids = await ids(conn, SQL["author_post_ids"], limit)
        if len(post_ids) <= cap:
            params = {"author_id": author_id, "post_ids": post_ids}
            return await execute(conn, self._sql("drop_posts"), params)
        return await execute(conn, self._sql("drop_author"), {"author_id": author_id})

    async def fill(self, conn: Conn, reader_id: int, cap: int) -> int:
        """Build a claimed feed from the reader's newest ``cap`` posts; rows updated (0 or 1)."""
        params = {"reader_id": reader_id, "cap": cap, "max_id": MAX_ID, "chunk": self.chunk}
        return await execute(conn, self._sql("fill"), params)

    async def trim(self, conn: Conn, after: int, batch: int, cap: int) -> int | None:
        """Rewrite the feeds of one batch (by user id after ``after``) spread over too many
        chunks as full ones, and trim them to the cap; the last user id, or None."""
        params = {
            "after": after,
            "batch": batch,
            "cap": cap,
            "max_id": MAX_ID,
            "chunk": self.chunk,
            "max_chunks": -(-cap // self.chunk) + SPARE_CHUNKS,
        }
        # Merged first, against the floor of the previous pass: ids the trim is about to cut
        # off stay until the next one, like the rows it deletes.
        await execute(conn, self._sql("compact"), params)
        row = await one(conn, self._sql("trim"), params)
        return None if row is None or row["last"] is None else int(row["last"])

    async def retire(self, conn: Conn, active_days: int, grace_seconds: int) -> None:
        """Stop pushing to inactive readers, and drop the feeds retired a pass ago."""
        params = {"active_days": active_days, "grace_seconds": grace_seconds, "max_id": MAX_ID}
        await execute(conn, self._sql("retire_drop"), params)
        await execute(conn, self._sql("retire_mark"), params)

    async def followers_with_feeds(self, conn: Conn, author_id: int) -> list[int]:
        """Followers of an author who have a pushed feed."""
        rows = await all_rows(conn, self._sql("followers_with_feeds"), {"author_id": author_id})
        return [row["follower_id"] for row in rows]

    async def entries(self, conn: Conn) -> int:
        """Entries in every feed (a full scan: for reports, not requests)."""
        row = await one(conn, self._sql("entries"), {})
        return 0 if row is None else int(row["n"])

    async def delivered(self, conn: Conn, post_ids: Sequence[int]) -> int:
        """Entries that hold these posts, in every feed (a full scan: for the benchmark)."""
        row = await one(conn, self._sql("delivered"), {"post_ids": list(post_ids)})
        return 0 if row is None else int(row["n"])

    async def forget(self, conn: Conn, reader_id: int | None) -> None:
        """Drop a reader's pushed feed (every reader's for None)."""
        if reader_id is None:
            await execute(conn, self._sql("forget_all"), {})
        else:
            await execute(conn, self._sql("forget"), {"reader_id": reader_id})


def _page(rows: Sequence[DictRow]) -> tuple[list[int], int | None]:
    """A ``page`` query's ids, in its order, and its cut."""
    found = [int(row["id"]) for row in rows if row["id"] is not None]
    cuts = [row["cut"] for row in rows if row["id"] is None]
    return found, int(cuts[0]) if cuts and cuts[0] is not None else None


# Shared by every push strategy: they run in one database and take turns per author.


async def lock_authors(conn: Conn, author_ids: Sequence[int]) -> None:
    """Serialize this transaction with others touching the same authors' feed entries."""
    await execute(conn, SQL["lock_authors"], {"author_ids": list(author_ids)})


async def lock_reader(conn: Conn, reader_id: int) -> None:
    """Serialize this transaction with others building or changing this reader's feed."""
    await execute(conn, SQL["lock_reader"], {"reader_id": reader_id})


async def authors_of(conn: Conn, post_ids: Sequence[int]) -> list[int]:
    """Distinct authors of some posts."""
    rows = await all_rows(conn, SQL["authors_of"], {"post_ids": list(post_ids)})
    return [row["author_id"] for row in rows]


# Celebrities (hybrid): authors whose posts are merged at read time.


async def promote_celebrities(conn: Conn, threshold: int) -> list[int]:
    """Accounts that just crossed the follower threshold."""
    rows = await all_rows(conn, SQL["promote_celebrities"], {"threshold": threshold})
    return [row["user_id"] for row in rows]


async def celebrities_to_demote(conn: Conn, threshold: int) -> list[int]:
    """Celebrities that fell below 90% of the threshold."""
    rows = await all_rows(conn, SQL["celebrities_to_demote"], {"threshold": threshold})
    return [row["user_id"] for row in rows]


async def drop_celebrity(conn: Conn, author_id: int) -> bool:
    """Remove an account from the celebrities."""
    return await one(conn, SQL["drop_celebrity"], {"author_id": author_id}) is not None


async def is_celebrity(conn: Conn, author_id: int) -> bool:
    """Whether an account's posts are merged at read time."""
    return await one(conn, SQL["is_celebrity"], {"author_id": author_id}) is not None


async def forget_celebrities(conn: Conn) -> None:
    """Forget every celebrity (the next upkeep finds them again)."""
    await execute(conn, SQL["forget_celebrities"], {})
