"""Posts: create, delete, hydrate ids into full posts, threads."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg.rows import DictRow

from microblog.domain.models import Post, User
from microblog.store.db import Conn, all_rows, one
from microblog.store.queries import load

SQL = load("posts")


def _to_post(row: DictRow) -> Post:
    author = User(
        id=row["author_id"],
        username=row["username"],
        description=row["description"],
        posts_count=row["posts_count"],
        followers_count=row["followers_count"],
        following_count=row["following_count"],
        created_at=row["author_created_at"],
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
    )


async def create(conn: Conn, author_id: int, content: str, parent_id: int | None) -> int:
    """Insert a post; its id."""
    row = await one(
        conn,
        SQL["create_post"],
        {"author_id": author_id, "content": content, "parent_id": parent_id},
    )
    assert row is not None
    return int(row["id"])


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


async def hydrate(conn: Conn, ids: Sequence[int]) -> list[Post]:
    """Full posts for ``ids``, in the order given; ids that no longer exist are left out."""
    if not ids:
        return []
    rows = await all_rows(conn, SQL["hydrate_posts"], {"ids": list(ids)})
    by_id = {row["id"]: _to_post(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def get(conn: Conn, post_id: int) -> Post | None:
    """One full post."""
    found = await hydrate(conn, [post_id])
    return found[0] if found else None


async def ancestors(conn: Conn, post_id: int) -> list[int]:
    """Ids of the posts that ``post_id`` answers, oldest (the thread's root) first."""
    rows = await all_rows(conn, SQL["ancestors"], {"id": post_id})
    return [row["id"] for row in reversed(rows)]


async def descendants(conn: Conn, post_id: int) -> list[int]:
    """Ids of the replies under ``post_id``, oldest first."""
    rows = await all_rows(conn, SQL["descendants"], {"id": post_id})
    return [row["id"] for row in rows]
