"""The social verbs: boosts, favourites, bookmarks, blocks, mutes and notifications.

A mixin of ``service.Microblog`` (it uses its pool and its ``_write``), kept apart so that
each file holds one concept. Boosts are posts (see migration 0008), so a boost and an
unboost are reported to the feed engine as a post created or deleted: every strategy fans
them out and removes them as it does posts. Blocks and mutes change no strategy's state
(every strategy filters hidden authors when it reads), only the readers' cached pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from psycopg_pool import AsyncConnectionPool

from microblog.domain import rules
from microblog.domain.errors import Forbidden, Invalid, NotFound
from microblog.domain.models import Post, Relations, User, Visibility
from microblog.domain.types import Conn, Window
from microblog.feeds import FeedChange, FeedEngine
from microblog.store import follows, notifications, posts, social, users
from microblog.store.notifications import Notification
from microblog.store.posts import PostRef

T = TypeVar("T")
BOOSTABLE = (Visibility.PUBLIC, Visibility.UNLISTED)


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a list paged by its rows' own ids, and the cursor of the next page."""

    items: list[Post]
    next_max_id: int | None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A direct post and the other accounts in it (its author and those it mentions)."""

    post: Post
    accounts: list[User]


@dataclass(frozen=True, slots=True)
class ShownNotification:
    """A notification with the account that caused it and the post it is about."""

    notification: Notification
    account: User
    post: Post | None


class SocialVerbs:
    """Boosts, favourites, bookmarks, blocks, mutes and notifications (mixed into Microblog)."""

    pool: AsyncConnectionPool[Conn]
    engine: FeedEngine

    async def _write(self, work: Callable[[Conn, FeedChange], Awaitable[T]]) -> T:
        raise NotImplementedError  # Microblog's

    # Boosts -------------------------------------------------------------------------------

    async def reblog(self, user_id: int, post_id: int) -> Post:
        """Boost a post (a boost's id boosts what it boosts); the boost. Boosting again is
        fine. Only public and unlisted posts, and one's own private ones, can be boosted."""

        async def boost(conn: Conn, change: FeedChange) -> Post | None:
            target = await _original(conn, post_id, user_id)
            own_private = target.visibility is Visibility.PRIVATE and target.author_id == user_id
            if target.visibility not in BOOSTABLE and not own_private:
                raise Forbidden(f"A {target.visibility.value} post can't be boosted")
            boost_id = await posts.create_boost(conn, user_id, target.id)
            if boost_id is None:
                boost_id = await posts.boost_by(conn, user_id, target.id)
            else:
                await change.post_created(boost_id, user_id, top_level=False)
                await change.notified(
                    await notifications.notify(
                        conn, [target.author_id], user_id, "reblog", target.id
                    )
                )
            assert boost_id is not None
            return await posts.get(conn, boost_id, user_id)

        found = await self._write(boost)
        assert found is not None
        return found

    async def unreblog(self, user_id: int, post_id: int) -> Post:
        """Undo one's boost of a post (not boosted is fine); the boosted post."""

        async def unboost(conn: Conn, change: FeedChange) -> Post | None:
            target = await _original(conn, post_id, user_id)
            boost_id = await posts.boost_by(conn, user_id, target.id)
            if boost_id is not None and await posts.delete(conn, boost_id, user_id):
                await change.post_deleted(boost_id, user_id)
                await notifications.retract(conn, [target.author_id], user_id, "reblog", target.id)
            return await posts.get(conn, target.id, user_id)

        found = await self._write(unboost)
        assert found is not None
        return found

    # Favourites and bookmarks -------------------------------------------------------------

    async def favourite(self, user_id: int, post_id: int) -> Post:
        """Favourite a post (again is fine); the post with its new count."""
        return await self._mark(user_id, post_id, social.favourite, notify="favourite")

    async def unfavourite(self, user_id: int, post_id: int) -> Post:
        """Undo a favourite (none is fine); the post."""
        return await self._mark(user_id, post_id, social.unfavourite, retract="favourite")

    async def bookmark(self, user_id: int, post_id: int) -> Post:
        """Bookmark a post (again is fine); the post."""
        return await self._mark(user_id, post_id, social.bookmark)

    async def unbookmark(self, user_id: int, post_id: int) -> Post:
        """Remove a bookmark (none is fine); the post."""
        return await self._mark(user_id, post_id, social.unbookmark)

    async def _mark(
        self,
        user_id: int,
        post_id: int,
        mark: Callable[[Conn, int, int], Awaitable[bool]],
        notify: str | None = None,
        retract: str | None = None,
    ) -> Post:
        # The engine's change only for its after-commit work: the live notification.
        async with self.pool.connection() as conn, self.engine.change(conn) as change:
            target = await _original(conn, post_id, user_id)
            if await mark(conn, user_id, target.id):
                if notify:
                    made = await notifications.notify(
                        conn, [target.author_id], user_id, notify, target.id
                    )
                    await change.notified(made)
                if retract:
                    await notifications.retract(
                        conn, [target.author_id], user_id, retract, target.id
                    )
            found = await posts.get(conn, target.id, user_id)
        assert found is not None
        return found

    async def favourites(self, user_id: int, max_id: int | None, limit: int) -> Listing:
        """A page of the user's favourites (those they may still see), newest first."""
        return await self._listing(user_id, social.favourites, max_id, limit)

    async def bookmarks(self, user_id: int, max_id: int | None, limit: int) -> Listing:
        """A page of the user's bookmarks (those they may still see), newest first."""
        return await self._listing(user_id, social.bookmarks, max_id, limit)

    async def conversations(
        self, user_id: int, max_id: int | None, limit: int
    ) -> tuple[list[Conversation], int | None]:
        """A page of the direct posts the user wrote or is mentioned in (those they may
        still see), newest first: Mastodon's conversations, one per post; and the cursor
        of the next page."""
        listing = await self._listing(user_id, social.direct, max_id, limit)
        wanted = {u for p in listing.items for u in [p.author.id, *(m.id for m in p.mentions)]}
        async with self.pool.connection() as conn:
            known = await users.by_ids(conn, sorted(wanted - {user_id}))
        found = [
            Conversation(
                post,
                [
                    known[u]
                    for u in dict.fromkeys([post.author.id, *(m.id for m in post.mentions)])
                    if u in known
                ],
            )
            for post in listing.items
        ]
        return found, listing.next_max_id

    async def _listing(
        self,
        user_id: int,
        rows: Callable[[Conn, int, int, int], Awaitable[list[social.Listed]]],
        max_id: int | None,
        limit: int,
    ) -> Listing:
        async with self.pool.connection() as conn:
            listed = await rows(conn, user_id, max_id or rules.MAX_ID, limit)
            found = await posts.hydrate(conn, [r.item for r in listed], user_id, check=True)
        cursor = listed[-1].row_id if len(listed) == limit else None
        return Listing(found, cursor)

    async def favourited_by(
        self, reader_id: int | None, post_id: int, max_id: int | None, limit: int
    ) -> list[tuple[int, User]]:
        """(favourite id, account) of those who favourited a post the reader may see."""
        async with self.pool.connection() as conn:
            target = await _original(conn, post_id, reader_id)
            return await social.favourited_by(conn, target.id, max_id or rules.MAX_ID, limit)

    async def reblogged_by(
        self, reader_id: int | None, post_id: int, max_id: int | None, limit: int
    ) -> list[tuple[int, User]]:
        """(boost id, account) of those who boosted a post the reader may see."""
        async with self.pool.connection() as conn:
            target = await _original(conn, post_id, reader_id)
            return await social.reblogged_by(conn, target.id, max_id or rules.MAX_ID, limit)

    # Blocks and mutes ---------------------------------------------------------------------

    async def block(self, user_id: int, target_id: int) -> None:
        """Block an account (again is fine): follows both ways end, each stops seeing the
        other's posts everywhere, and its notifications to the blocker go."""
        if user_id == target_id:
            raise Invalid("You can't block yourself", "id")

        async def add(conn: Conn, change: FeedChange) -> None:
            if target_id not in await follows.lock_users(conn, user_id, target_id):
                raise NotFound("No such user")
            if not await social.block(conn, user_id, target_id):
                return
            for a, b in ((user_id, target_id), (target_id, user_id)):
                if await follows.unfollow(conn, a, b):
                    await change.unfollowed(a, b)
            await notifications.clear_from(conn, user_id, target_id)
            await change.hidden_changed(user_id, target_id)

        await self._write(add)

    async def unblock(self, user_id: int, target_id: int) -> None:
        """Lift a block (none is fine); follows that it ended stay ended."""
        await self._hide(user_id, target_id, social.unblock)

    async def mute(self, user_id: int, target_id: int, notifications_too: bool = True) -> None:
        """Mute an account: its posts and boosts leave the home feeds (and, unless
        ``notifications_too`` is False, its notifications); follows stay."""
        if user_id == target_id:
            raise Invalid("You can't mute yourself", "id")

        async def add(conn: Conn, a: int, b: int) -> bool:
            await social.mute(conn, a, b, notifications_too)
            return True

        await self._hide(user_id, target_id, add)

    async def unmute(self, user_id: int, target_id: int) -> None:
        """Lift a mute (none is fine)."""
        await self._hide(user_id, target_id, social.unmute)

    async def _hide(
        self, user_id: int, target_id: int, change_row: Callable[[Conn, int, int], Awaitable[bool]]
    ) -> None:
        async def run(conn: Conn, change: FeedChange) -> None:
            if target_id not in await follows.lock_users(conn, user_id, target_id):
                raise NotFound("No such user")
            if await change_row(conn, user_id, target_id):
                await change.hidden_changed(user_id, target_id)

        await self._write(run)

    async def relations(self, user_id: int, ids: Sequence[int]) -> dict[int, Relations]:
        """The blocks and mutes between the user and each of ``ids``."""
        if not ids:
            return {}
        async with self.pool.connection() as conn:
            return await social.relations(conn, user_id, ids)

    async def blocked(self, user_id: int, max_id: int | None, limit: int) -> list[tuple[int, User]]:
        """(block id, account) of the accounts the user blocks, newest first."""
        async with self.pool.connection() as conn:
            return await social.blocked(conn, user_id, max_id or rules.MAX_ID, limit)

    async def muted(self, user_id: int, max_id: int | None, limit: int) -> list[tuple[int, User]]:
        """(mute id, account) of the accounts the user mutes, newest first."""
        async with self.pool.connection() as conn:
            return await social.muted(conn, user_id, max_id or rules.MAX_ID, limit)

    # Notifications ------------------------------------------------------------------------

    async def notifications(
        self,
        user_id: int,
        window: Window,
        limit: int,
        types: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[ShownNotification]:
        """A page of the user's notifications, newest first. A type this server never sends
        (Mastodon has more: polls, edits, ...) matches nothing, as it would there."""
        async with self.pool.connection() as conn:
            found = await notifications.page(conn, user_id, window, limit, types, exclude)
            return await _shown(conn, user_id, found)

    async def notification(self, user_id: int, notification_id: int) -> ShownNotification:
        """One of the user's notifications; ``NotFound`` otherwise."""
        async with self.pool.connection() as conn:
            found = await notifications.get(conn, user_id, notification_id)
            shown = await _shown(conn, user_id, [] if found is None else [found])
        if not shown:
            raise NotFound("No such notification")
        return shown[0]

    async def dismiss_notification(self, user_id: int, notification_id: int) -> None:
        """Delete one of the user's notifications; ``NotFound`` when there is none."""
        async with self.pool.connection() as conn:
            if not await notifications.dismiss(conn, user_id, notification_id):
                raise NotFound("No such notification")

    async def clear_notifications(self, user_id: int) -> None:
        """Delete every notification of the user's."""
        async with self.pool.connection() as conn:
            await notifications.clear(conn, user_id)

    async def unread_notifications(self, user_id: int) -> int:
        """How many notifications are newer than the last one the user read."""
        async with self.pool.connection() as conn:
            return await notifications.unread(conn, user_id)

    async def notifications_read(self, user_id: int, upto: int | None = None) -> int:
        """Mark the user's notifications read up to ``upto`` (never back); the marker."""
        found = await self.set_markers(user_id, {} if upto is None else {"notifications": upto})
        return found["notifications"]

    async def set_markers(self, user_id: int, upto: Mapping[str, int]) -> dict[str, int]:
        """Move the user's markers (``home``: a post id, ``notifications``: a notification
        id) forward to these ids; every marker afterwards."""
        async with self.pool.connection() as conn:
            for timeline, last_read_id in upto.items():
                if timeline not in notifications.MARKERS:
                    raise Invalid(f"No {timeline!r} marker: home or notifications", "timeline")
                await notifications.mark_read(conn, user_id, last_read_id, timeline)
            return await notifications.markers(conn, user_id)


async def _original(conn: Conn, post_id: int, reader_id: int | None) -> PostRef:
    """The post a verb acts on: the boosted post for a boost; ``NotFound`` when it does not
    exist or the reader may not see it (Mastodon answers 404 for both)."""
    target = await posts.visible(conn, post_id, reader_id)
    if target is not None and target.reblog_of_id is not None:
        target = await posts.visible(conn, target.reblog_of_id, reader_id)
    if target is None:
        raise NotFound("No such post")
    return target


async def _shown(conn: Conn, user_id: int, found: list[Notification]) -> list[ShownNotification]:
    accounts = await users.by_ids(conn, [n.from_id for n in found])
    post_ids = [n.post_id for n in found if n.post_id is not None]
    by_id = {p.id: p for p in await posts.hydrate(conn, post_ids, user_id, check=True)}
    shown = []
    for n in found:
        post = None if n.post_id is None else by_id.get(n.post_id)
        if n.from_id in accounts and (n.post_id is None or post is not None):
            shown.append(ShownNotification(n, accounts[n.from_id], post))
    return shown
