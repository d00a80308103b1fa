"""Editing one's posts (mixed into ``service.Microblog``), as Mastodon allows: the text, the
content warning and the sensitive flag change; visibility, the post answered and boosts do
not. Earlier versions are kept (the status history).

An edit re-reads the text's ``@mentions`` and ``#hashtags``: a newly mentioned account is
notified, and one no longer mentioned loses the mention (and so, for a private or direct
post, its sight of it). No feed keeps text, so no strategy changes; the pages cached for the
accounts whose mention came or went are dropped, and live streams hear ``status.update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from psycopg_pool import AsyncConnectionPool

from microblog.domain import rules
from microblog.domain.errors import Forbidden, NotFound
from microblog.domain.models import Post
from microblog.domain.types import Conn
from microblog.feeds import FeedChange
from microblog.store import edits, notifications, posts, users
from microblog.store.edits import Version

T = TypeVar("T")


class EditVerbs:
    """Edit a post, and read its history (mixed into Microblog)."""

    pool: AsyncConnectionPool[Conn]

    async def _write(self, work: Callable[[Conn, FeedChange], Awaitable[T]]) -> T:
        raise NotImplementedError  # Microblog's

    async def edit_post(
        self,
        author_id: int,
        post_id: int,
        content: object,
        spoiler_text: object = "",
        sensitive: object = False,
    ) -> Post:
        """Change one's own post's text (the same rules as a new post's); the post."""
        text = rules.post_content(content)
        warning = rules.spoiler_text(spoiler_text)
        flagged = rules.boolean(sensitive, "sensitive") or bool(warning)
        names = rules.mentioned_names(text)[: rules.MAX_MENTIONS]
        tags = rules.hashtags(text)

        async def edit(conn: Conn, change: FeedChange) -> Post:
            await _own(conn, post_id, author_id)
            locked = await edits.lock(conn, post_id, author_id)
            if locked is None:
                raise Forbidden("A boost has no text to edit")
            _, parent_id = locked
            await edits.edit(conn, post_id, text, warning, flagged)
            mentioned = [user_id for user_id, _ in await users.by_usernames(conn, names)]
            if parent_id is not None and (parent := await posts.author_of(conn, parent_id)):
                # The author answered stays mentioned, as at creation.
                mentioned.append(parent[0])
            mentioned = sorted({m for m in mentioned if m != author_id})
            before = set(await edits.mention_ids(conn, post_id))
            await edits.drop_mentions_but(conn, post_id, mentioned)
            await posts.add_mentions(conn, post_id, mentioned)
            added = [m for m in mentioned if m not in before]
            await change.notified(
                await notifications.notify(conn, added, author_id, "mention", post_id)
            )
            await edits.drop_tags(conn, post_id)
            await posts.add_tags(conn, post_id, tags)
            await change.post_edited(post_id, *(before ^ set(mentioned)))
            found = await posts.get(conn, post_id, author_id)
            assert found is not None
            return found

        return await self._write(edit)

    async def post_history(self, post_id: int, reader_id: int | None) -> tuple[Post, list[Version]]:
        """A post the reader may see, and its earlier versions, oldest first."""
        async with self.pool.connection() as conn:
            found = await posts.hydrate(conn, [post_id], reader_id, check=True)
            if not found:
                raise NotFound("No such post")
            return found[0], await edits.history(conn, post_id)


async def _own(conn: Conn, post_id: int, author_id: int) -> None:
    """Refuse a post that is not there, or not the author's (a post the author may not see
    is "not found" here too)."""
    ref = await posts.visible(conn, post_id, author_id)
    if ref is None:
        raise NotFound("No such post")
    if ref.author_id != author_id:
        raise Forbidden("You can only edit your own posts")
