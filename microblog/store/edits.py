"""Edits of posts: the new text in place, the old versions kept (sql/edits.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from microblog.domain.types import Conn
from microblog.store.db import all_rows, execute, one
from microblog.store.queries import load

SQL = load("edits")


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a post's text."""

    content: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime


async def lock(conn: Conn, post_id: int, author_id: int) -> tuple[int, int | None] | None:
    """(id, parent id) of the author's post (not a boost), locked; None if there is none."""
    row = await one(conn, SQL["lock_post"], {"id": post_id, "author_id": author_id})
    return None if row is None else (row["id"], row["parent_id"])


async def edit(conn: Conn, post_id: int, content: str, spoiler_text: str, sensitive: bool) -> None:
    """Replace a (locked) post's text, keeping the version it replaces."""
    await execute(conn, SQL["keep_version"], {"id": post_id})
    params = {
        "id": post_id,
        "content": content,
        "spoiler_text": spoiler_text,
        "sensitive": sensitive,
    }
    await execute(conn, SQL["edit_post"], params)


async def mention_ids(conn: Conn, post_id: int) -> list[int]:
    """The accounts a post mentions now."""
    rows = await all_rows(conn, SQL["mention_ids"], {"post_id": post_id})
    return [row["user_id"] for row in rows]


async def drop_mentions_but(conn: Conn, post_id: int, kept: Sequence[int]) -> None:
    """Take out the post's mentions but ``kept``."""
    await execute(conn, SQL["drop_mentions"], {"post_id": post_id, "user_ids": list(kept)})


async def drop_tags(conn: Conn, post_id: int) -> None:
    """Forget the post's hashtags (an edit writes them again)."""
    await execute(conn, SQL["drop_tags"], {"post_id": post_id})


async def history(conn: Conn, post_id: int) -> list[Version]:
    """The post's earlier versions, oldest first (the current one is the post)."""
    rows = await all_rows(conn, SQL["history"], {"post_id": post_id})
    return [Version(r["content"], r["spoiler_text"], r["sensitive"], r["created_at"]) for r in rows]
