"""The microblog's verbs. The HTML pages and the JSON API both call these, and nothing else.

Each verb takes its own connection from the pool. A write runs inside ``engine.change``:
one transaction that also holds the feed engine's work for it, and cached pages dropped
once it has committed. A write that PostgreSQL aborts for a deadlock or a serialization
failure is run again (a few times), so such a race never reaches a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from psycopg import errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from microblog import passwords
from microblog.apps import AppVerbs
from microblog.credentials import Credentials, session_ended, token_ended, user_changed
from microblog.domain import rules, scopes
from microblog.domain.errors import Forbidden, Invalid, NotFound
from microblog.domain.models import (
    Access,
    FeedMode,
    Page,
    Post,
    ProfileFilter,
    SiteUsage,
    User,
    Visibility,
)
from microblog.domain.types import Conn, Window
from microblog.editing import EditVerbs
from microblog.feeds import FeedChange, FeedEngine
from microblog.search import SearchVerbs
from microblog.social import SocialVerbs
from microblog.store import follows, notifications, posts, sessions, social, tokens, users
from microblog.store.bus import Message
from microblog.store.replicas import Reads

log = logging.getLogger(__name__)
T = TypeVar("T")
# A write aborted by a deadlock or serialization failure runs again, up to this many times
# in all, after a short random pause (so two writes that collided do not collide again).
WRITE_ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 0.02
ACTIVITY_SECONDS = 60.0


# A post whose Idempotency-Key another request took first is rolled back, and that
# request's post looked up; once more if it vanished meanwhile (deleted at once).
IDEMPOTENT_ATTEMPTS = 3


class _KeyTaken(Exception):
    """A concurrent request with the same Idempotency-Key committed its post first."""


@dataclass(frozen=True, slots=True)
class Thread:
    """A post with the posts it answers (root first) and its replies (oldest first)."""

    ancestors: list[Post]
    post: Post
    descendants: list[Post]


@dataclass(frozen=True, slots=True)
class Token:
    """A freshly issued API token (only its hash is stored)."""

    access_token: str
    scope: str
    created_at: datetime


class Microblog(SocialVerbs, AppVerbs, SearchVerbs, EditVerbs):
    """Accounts, posts, follows and feeds over one connection pool and one feed engine
    (boosts, favourites, bookmarks, blocks, mutes and notifications: ``SocialVerbs``)."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Conn],
        engine: FeedEngine,
        hashing: passwords.BoundedHashing | None = None,
        reads: Reads | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.pool = pool
        # Grants of tokens and sessions remembered in this process, dropped when revoked
        # (``credentials``); without it (None), every lookup reads the database.
        self.credentials = credentials or Credentials(None, 0)
        # Where reads go: a replica, or the primary (``store/replicas.py``); without
        # replicas, always the primary.
        self.reads = reads or Reads(pool, [], None, 0)
        self.engine = engine
        # Every password hash and check goes through it: a bounded number at a time.
        self.hashing = hashing or passwords.BoundedHashing()
        self._touched: dict[int, float] = {}

    # Accounts -----------------------------------------------------------------------------

    async def sign_up(self, username: object, password: object) -> User:
        """Create an account; ``Invalid`` when the name is taken or the input breaks a rule."""
        name = rules.username(username)
        secret = rules.password(password, name, passwords.common())
        digest = await self.hashing.hash(secret)
        async with self.pool.connection() as conn:
            user = await users.create(conn, name, digest)
        if user is None:
            raise Invalid(f"The username {name!r} is already taken", "username")
        return user

    async def authenticate(self, username: object, password: object) -> User:
        """The user with these credentials; ``Invalid`` otherwise (same message either way)."""
        wrong = Invalid("Wrong username or password", "password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise wrong
        rules.storable(username, "username", "Username")
        rules.storable(password, "password", "Password")
        async with self.pool.connection() as conn:
            found = await users.credentials(conn, username.strip())
        if found is None:
            # Hash anyway, so the answer takes as long as for a wrong password.
            await self.hashing.verify(passwords.DUMMY_DIGEST, password)
            raise wrong
        if not await self.hashing.verify(found[1], password):
            raise wrong
        user_id, digest = found
        async with self.pool.connection() as conn:
            if passwords.needs_rehash(digest):
                new_digest = await self.hashing.hash(password)
                await users.set_password_digest(conn, user_id, new_digest)
            user = await users.by_id(conn, user_id)
        if user is None:
            raise wrong
        return user

    async def issue_token(
        self,
        user_id: int | None,
        scope: object = None,
        app_id: int | None = None,
        default: str = scopes.EVERYTHING,
    ) -> Token:
        """A new bearer token for the API, with the scopes asked for (Mastodon's names;
        ``default`` when none are); no user: an app-only token."""
        granted = scopes.parse(scope, default)
        value = secrets.token_urlsafe(32)
        async with self.pool.connection() as conn:
            created_at = await tokens.create(conn, value, user_id, granted, app_id)
        return Token(value, granted, created_at)

    async def token_access(self, token: str) -> Access | None:
        """What a bearer token grants, or None for an unknown or revoked one (remembered
        for a while in this process: ``credentials``)."""
        key = ("token", tokens.digest(token))
        found = self.credentials.get(key)
        if isinstance(found, Access):
            return found
        epoch = self.credentials.epoch
        async with self.pool.connection() as conn:
            access = await tokens.access(conn, token)
        if access is not None:
            user_id = None if access.user is None else access.user.id
            self.credentials.put(key, access, user_id, epoch)
        return access

    async def revoke_token(self, token: str) -> bool:
        """Revoke a bearer token."""
        rules.storable(token, "token")
        async with self._ending(token_ended(tokens.digest(token))) as conn:
            return await tokens.revoke(conn, token)

    async def start_session(self, user_id: int, lifetime_seconds: int) -> str:
        """A new browser session for the user; its id (for the cookie; only a hash is kept).
        Sessions past their end are swept here, as new ones begin."""
        session_id = secrets.token_urlsafe(32)
        async with self.pool.connection() as conn:
            await sessions.end_expired(conn)
            await sessions.create(conn, session_id, user_id, lifetime_seconds)
        return session_id

    async def session_user(self, session_id: str) -> User | None:
        """The user of a live browser session (remembered as tokens are, never past the
        session's end)."""
        key = ("session", sessions.digest(session_id))
        found = self.credentials.get(key)
        if isinstance(found, User):
            return found
        epoch = self.credentials.epoch
        async with self.pool.connection() as conn:
            live = await sessions.user_for(conn, session_id)
        if live is None:
            return None
        user, ends_at = live
        left = (ends_at - datetime.now(UTC)).total_seconds()
        self.credentials.put(key, user, user.id, epoch, left)
        return user

    async def end_session(self, session_id: str) -> None:
        """Log one browser out: its cookie, and every copy of it, stops working."""
        async with self._ending(session_ended(sessions.digest(session_id))) as conn:
            await sessions.end(conn, session_id)

    async def end_all_sessions(self, user_id: int) -> int:
        """Log out everywhere: every browser session of the user ends; how many did."""
        async with self._ending(user_changed(user_id)) as conn:
            return await sessions.end_all(conn, user_id)

    @contextlib.asynccontextmanager
    async def _ending(self, *said: Message) -> AsyncIterator[Conn]:
        """A transaction that ends grants or changes what they carry: ``said`` (messages of
        ``credentials``) goes with its commit, so no process keeps using them."""
        async with self.pool.connection() as conn:
            async with conn.transaction():
                yield conn
                await self.credentials.say_in(conn, said)
            await self.credentials.said(said)

    async def change_password(self, user_id: int, current: object, new: object) -> None:
        """Set a new password after checking the current one. Every browser session and
        API token of the account ends with the old password: whoever learned it is out."""
        user = await self._confirm_password(
            user_id, current, "Wrong current password: nothing was changed"
        )
        secret = rules.password(new, user.username, passwords.common())
        digest = await self.hashing.hash(secret)
        async with self._ending(user_changed(user_id)) as conn:
            await users.set_password_digest(conn, user_id, digest)
            await sessions.end_all(conn, user_id)
            await tokens.revoke_all(conn, user_id)

    async def _confirm_password(self, user_id: int, password: object, wrong: str) -> User:
        """The user, once ``password`` is theirs (``authenticate``); ``Invalid(wrong)``
        otherwise. For what a logged-in user must confirm by typing the password again."""
        user = await self.user(user_id)
        if isinstance(password, str):  # an unstorable character is named, not "wrong"
            rules.storable(password, "password", "Password")
        try:
            await self.authenticate(user.username, password)
        except Invalid as exc:
            raise Invalid(wrong, "password") from exc
        return user

    async def user(self, user_id: int, reader_id: int | None = None) -> User:
        """A user by id; ``NotFound`` otherwise. Read where ``reader_id`` may be served
        (a replica, unless the reader's own last write is not there yet)."""
        user = await self.reads.run(reader_id, lambda conn: users.by_id(conn, user_id))
        if user is None:
            raise NotFound("No such user")
        return user

    async def own_account(self, user_id: int) -> User:
        """The caller's own account read on the primary: fresh counts, and there even when
        the caller's first write (signing up, by an application's token) is not on a
        replica yet. ``NotFound`` once deleted."""
        async with self.pool.connection() as conn:
            user = await users.by_id(conn, user_id)
        if user is None:
            raise NotFound("No such user")
        return user

    async def user_named(self, username: str, reader_id: int | None = None) -> User:
        """A user by username (any case); ``NotFound`` otherwise (read as ``user``)."""
        rules.storable(username, "username", "Username")
        name = username.strip().lstrip("@")
        user = await self.reads.run(reader_id, lambda conn: users.by_username(conn, name))
        if user is None:
            raise NotFound(f"No user called {username!r}")
        return user

    async def update_description(self, user_id: int, description: object) -> User:
        """Set one's own profile description."""
        text = rules.description(description)
        async with self._ending(user_changed(user_id)) as conn:
            user = await users.update_description(conn, user_id, text)
        if user is None:
            raise NotFound("No such user")
        return user

    async def update_profile(
        self, user_id: int, *, description: object = None, display_name: object = None
    ) -> User:
        """Set one's own description and display name (an empty one clears it; None leaves
        it as it is)."""
        text = None if description is None else rules.description(description)
        name = None if display_name is None else rules.display_name(display_name)
        async with self._ending(user_changed(user_id)) as conn:
            user = await users.update_profile(conn, user_id, text, name)
        if user is None:
            raise NotFound("No such user")
        return user

    async def site_usage(self) -> SiteUsage:
        """How many accounts, active accounts and posts the server has (nodeinfo)."""
        async with self.pool.connection() as conn:
            return await users.site_usage(conn)

    async def delete_account(self, user_id: int, password: object) -> User:
        """Delete one's own account once its password is confirmed (``remove_account``);
        ``Invalid``, with nothing deleted, when the password is missing or wrong."""
        if not isinstance(password, str) or not password:
            raise Invalid("Type your password to delete your account", "password")
        await self._confirm_password(
            user_id, password, "Wrong password: your account was not deleted"
        )
        return await self.remove_account(user_id)

    async def remove_account(self, user_id: int) -> User:
        """Delete an account and everything in it, in one transaction: its posts (replies
        others wrote to them stay, answering a deleted post), its follows both ways, its API
        tokens and sessions, and every feed's state about it (``FeedChange.user_deleted``).
        Its id is never given again; its username is free at once. The account as it was;
        ``NotFound`` when there is none. Operators call it directly, users ``delete_account``.
        """

        async def remove(conn: Conn, change: FeedChange) -> User:
            if not await users.lock_for_deletion(conn, user_id):
                raise NotFound("No such user")
            user = await users.by_id(conn, user_id)  # locked: its counts are final
            assert user is not None
            # Others' boosts of its posts go first, each as the post deletion it is.
            for boost_id, booster in await posts.boosts_of_author(conn, user_id):
                if await posts.delete(conn, boost_id, booster):
                    await change.post_deleted(boost_id, booster)
            await change.user_deleted(user_id)
            await users.delete(conn, user_id)
            await self.credentials.say_in(conn, said)
            return user

        said = [user_changed(user_id)]  # its tokens and sessions went with it
        gone = await self._write(remove)
        await self.credentials.said(said)
        return gone

    # Posts --------------------------------------------------------------------------------

    async def create_post(
        self,
        author_id: int,
        content: object,
        parent_id: int | None,
        visibility: Visibility = Visibility.PUBLIC,
        *,
        spoiler_text: object = "",
        sensitive: object = False,
        idempotency_key: str | None = None,
    ) -> Post:
        """Publish a post (a reply when ``parent_id`` is given). The accounts it mentions
        (``@name``), and the author of the post it answers, are its mentions: they are
        notified, and may see it whatever its visibility. Its ``#hashtags`` are recorded.

        ``spoiler_text`` is a content warning (a post with one is ``sensitive``, as on
        Mastodon). With an ``idempotency_key`` (``rules.idempotency_key``), the author's
        post made with the same key in the last hour is the answer, and no new one is made,
        even for requests that race each other."""
        text = rules.post_content(content)
        warning = rules.spoiler_text(spoiler_text)
        flagged = rules.boolean(sensitive, "sensitive") or bool(warning)
        names = rules.mentioned_names(text)[: rules.MAX_MENTIONS]
        tags = rules.hashtags(text)
        key = rules.idempotency_key(idempotency_key)

        async def insert(conn: Conn, change: FeedChange) -> Post | None:
            mentioned = [user_id for user_id, _ in await users.by_usernames(conn, names)]
            parent = None
            if parent_id is not None:
                parent = await posts.visible(conn, parent_id, author_id)
                if parent is not None and parent.reblog_of_id is not None:
                    # A reply to a boost answers the boosted post (as Mastodon does).
                    parent = await posts.visible(conn, parent.reblog_of_id, author_id)
                if parent is None:
                    raise NotFound("The post you are replying to does not exist")
                if parent.author_id not in mentioned:
                    mentioned.append(parent.author_id)
            mentioned = [m for m in mentioned if m != author_id]
            answered = None if parent is None else parent.id
            post_id = await posts.create(
                conn, author_id, text, answered, visibility, warning, flagged
            )
            if key is not None and not await posts.claim_idempotency_key(
                conn, author_id, key, post_id
            ):
                raise _KeyTaken  # a request with the key committed first: not this post
            await posts.add_mentions(conn, post_id, mentioned)
            await posts.add_tags(conn, post_id, tags)
            await change.notified(
                await notifications.notify(conn, mentioned, author_id, "mention", post_id)
            )
            public = answered is None and visibility is Visibility.PUBLIC
            await change.post_created(post_id, author_id, top_level=public)
            # Its own insert: visible in the transaction.
            return await posts.get(conn, post_id, author_id)

        for _ in range(IDEMPOTENT_ATTEMPTS):
            if key is not None and (earlier := await self._idempotent_post(author_id, key)):
                return earlier
            try:
                post = await self._write(insert)
            except _KeyTaken:
                continue  # rolled back; the post the key made is the answer
            assert post is not None
            return post
        raise Invalid("Another request with this Idempotency-Key is under way", "Idempotency-Key")

    async def _idempotent_post(self, author_id: int, key: str) -> Post | None:
        """The author's post made with this ``Idempotency-Key`` in the last hour, if any."""
        async with self.pool.connection() as conn:
            post_id = await posts.idempotent_post(conn, author_id, key)
            if post_id is None:
                return None
            return await posts.get(conn, post_id, author_id)

    async def post(self, post_id: int, reader_id: int | None = None) -> Post:
        """One post the reader (None: anyone) may see, with the reader's flags; ``NotFound``
        otherwise (whether it does not exist or is not theirs to see)."""
        found = await self.reads.run(
            reader_id, lambda conn: posts.hydrate(conn, [post_id], reader_id, check=True)
        )
        if not found:
            raise NotFound("No such post")
        return found[0]

    async def delete_post(self, reader_id: int, post_id: int) -> Post:
        """Delete one's own post; the post as it was."""

        async def delete(conn: Conn, change: FeedChange) -> Post:
            # A post the reader may not see is "not found" here too (not "not yours").
            found = await posts.hydrate(conn, [post_id], reader_id, check=True)
            if not found:
                raise NotFound("No such post")
            post = found[0]
            if post.author.id != reader_id:
                raise Forbidden("You can only delete your own posts")
            # Its boosts go with it, each as the post deletion it is (feeds drop them).
            for boost_id, booster in await posts.boosts_of(conn, post_id):
                if await posts.delete(conn, boost_id, booster):
                    await change.post_deleted(boost_id, booster)
            if await posts.delete(conn, post_id, reader_id):
                public = post.visibility is Visibility.PUBLIC and post.reblog is None
                await change.post_deleted(post_id, reader_id, public)
                if post.reblog is not None:  # deleting one's boost is unboosting
                    await notifications.retract(
                        conn, [post.reblog.author.id], reader_id, "reblog", post.reblog.id
                    )
            return post

        return await self._write(delete)

    async def thread(self, post_id: int, reader_id: int | None = None) -> Thread:
        """A post with its ancestors and replies, those the reader may see."""

        async def read(conn: Conn) -> Thread:
            found = await posts.hydrate(conn, [post_id], reader_id, check=True)
            if not found:
                raise NotFound("No such post")
            post = found[0].shown
            above_ids = await posts.ancestors(conn, post.id)
            below_ids = await posts.descendants(conn, post.id)
            above = await posts.hydrate(conn, above_ids, reader_id, check=True)
            below = await posts.hydrate(conn, below_ids, reader_id, check=True)
            return Thread(above, post, below)

        return await self.reads.run(reader_id, read)

    # Follows ------------------------------------------------------------------------------

    async def follow(self, follower_id: int, followed_id: int) -> User:
        """Follow a user (again is fine); the followed user with fresh counts."""
        if follower_id == followed_id:
            raise Invalid("You can't follow yourself", "id")

        async def add(conn: Conn, change: FeedChange) -> User | None:
            if followed_id not in await follows.lock_users(conn, follower_id, followed_id):
                raise NotFound("No such user")
            if await social.blocked_either(conn, follower_id, followed_id):
                raise Forbidden("You can't follow an account you block or that blocks you")
            if await follows.follow(conn, follower_id, followed_id):
                await change.followed(follower_id, followed_id)
                await change.notified(
                    await notifications.notify(conn, [followed_id], follower_id, "follow")
                )
            return await users.by_id(conn, followed_id)  # with the counts this change set

        target = await self._write(add)
        assert target is not None
        return target

    async def unfollow(self, follower_id: int, followed_id: int) -> User:
        """Stop following a user (not following is fine); the user with fresh counts."""

        async def remove(conn: Conn, change: FeedChange) -> User | None:
            if followed_id not in await follows.lock_users(conn, follower_id, followed_id):
                raise NotFound("No such user")
            if await follows.unfollow(conn, follower_id, followed_id):
                await change.unfollowed(follower_id, followed_id)
                await notifications.retract(conn, [followed_id], follower_id, "follow")
            return await users.by_id(conn, followed_id)  # with the counts this change set

        target = await self._write(remove)
        assert target is not None
        return target

    async def following_among(self, reader_id: int, ids: list[int]) -> set[int]:
        """Which of ``ids`` the reader follows."""
        if not ids:
            return set()
        async with self.pool.connection() as conn:
            return await follows.following_among(conn, reader_id, ids)

    async def followers_among(self, reader_id: int, ids: list[int]) -> set[int]:
        """Which of ``ids`` follow the reader."""
        if not ids:
            return set()
        async with self.pool.connection() as conn:
            return await follows.followers_among(conn, reader_id, ids)

    async def followers(self, user_id: int, max_id: int | None, limit: int) -> list[User]:
        """A page of a user's followers, newest account id first."""

        async def read(conn: Conn) -> list[User]:
            if await users.by_id(conn, user_id) is None:
                raise NotFound("No such user")
            return await users.followers(conn, user_id, max_id or rules.MAX_ID, limit)

        return await self.reads.run(None, read)

    async def following(self, user_id: int, max_id: int | None, limit: int) -> list[User]:
        """A page of the accounts a user follows, newest account id first."""

        async def read(conn: Conn) -> list[User]:
            if await users.by_id(conn, user_id) is None:
                raise NotFound("No such user")
            return await users.following(conn, user_id, max_id or rules.MAX_ID, limit)

        return await self.reads.run(None, read)

    # Writes -------------------------------------------------------------------------------

    async def _write(self, work: Callable[[Conn, FeedChange], Awaitable[T]]) -> T:
        """Run ``work`` as one write (``engine.change``); again, a few times, when PostgreSQL
        aborts it for a deadlock or a serialization failure."""
        attempt = 1
        while True:
            try:
                async with self.pool.connection() as conn, self.engine.change(conn) as change:
                    return await work(conn, change)
            except (errors.DeadlockDetected, errors.SerializationFailure) as exc:
                if attempt >= WRITE_ATTEMPTS:
                    raise
                log.info("write aborted (%s), attempt %d: running it again", exc.sqlstate, attempt)
                await asyncio.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * attempt))
                attempt += 1

    # Feeds --------------------------------------------------------------------------------

    async def feed(self, reader_id: int | None, mode: FeedMode, window: Window, limit: int) -> Page:
        """One page of a feed, newest first. ``all`` needs no reader; the others do.

        Read on a replica when the strategy's pages may be (``engine.replica_reads``), as
        ``user`` says; the reader's activity is recorded on the primary."""
        if reader_id is not None and mode is FeedMode.TIMELINE and self._due(reader_id):
            async with self.pool.connection() as conn:
                await users.touch_active(conn, reader_id)
        on_replica = self.reads.enabled and self.engine.replica_reads(reader_id, mode)

        async def read(conn: Conn, replica: bool) -> Page:
            page = await self.engine.page(conn, reader_id, mode, window, limit, replica)
            hydrated = await posts.hydrate(conn, page.ids, reader_id)
            return Page(hydrated, page.next_max_id)

        return await self.reads.run_placed(reader_id, read, on_replica)

    @property
    def replicas(self) -> bool:
        """Whether reads may go to replicas (``MICROBLOG_DATABASE_REPLICA_URLS``)."""
        return self.reads.enabled

    async def wrote(self, user_id: int) -> None:
        """Mark that the user has just written (read-your-writes across replicas: their
        next reads wait for a replica that has replayed this far). A failure is logged:
        the write is done, and at worst the user's next read comes from a lagging replica."""
        try:
            await self.reads.wrote(user_id)
        except (errors.Error, PoolTimeout) as exc:
            log.warning("could not mark user %d's write: %s", user_id, exc)

    def _due(self, reader_id: int) -> bool:
        """Whether to record the reader's activity: at most once a minute per process."""
        now = time.monotonic()
        if now - self._touched.get(reader_id, -ACTIVITY_SECONDS) < ACTIVITY_SECONDS:
            return False
        if len(self._touched) > 100_000:  # bounded: forget everyone, at worst one more write
            self._touched.clear()
        self._touched[reader_id] = now
        return True

    async def user_posts(
        self,
        user_id: int,
        window: Window,
        limit: int,
        reader_id: int | None = None,
        only: ProfileFilter | None = None,
    ) -> Page:
        """One page of a user's posts and boosts, those the reader (None: anyone) may see."""
        await self.user(user_id, reader_id)

        async def read(conn: Conn) -> Page:
            cursor = None
            if window.oldest_first:
                found = await posts.profile(conn, user_id, reader_id, window, limit, only)
                below = Window(below=found[-1] if found else 0)
                if found and await posts.profile(conn, user_id, reader_id, below, 1, only):
                    cursor = found[-1]
            else:
                found = await posts.profile(conn, user_id, reader_id, window, limit + 1, only)
                if len(found) > limit:
                    found, cursor = found[:limit], found[limit - 1]
            return Page(await posts.hydrate(conn, found, reader_id), cursor)

        return await self.reads.run(reader_id, read)
