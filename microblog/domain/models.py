"""The records the storage layer returns and the web layer renders."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class User:
    """A user as others see them (no password digest)."""

    id: int
    username: str
    description: str
    posts_count: int
    followers_count: int
    following_count: int
    created_at: datetime
    display_name: str = ""

    @property
    def name(self) -> str:
        """What pages call the account: its display name, or its username without one."""
        return self.display_name or self.username


@dataclass(frozen=True, slots=True)
class Access:
    """What an API token grants: its scopes (Mastodon's names, space-separated), the
    application it was issued to, and its user (None for an app-only token)."""

    user: User | None
    scope: str
    app_id: int | None = None


class Visibility(enum.StrEnum):
    """Who may see a post (Mastodon's four levels)."""

    PUBLIC = "public"  # everywhere
    UNLISTED = "unlisted"  # everywhere but the public (All) timeline
    PRIVATE = "private"  # the author's followers and the accounts it mentions
    DIRECT = "direct"  # the accounts it mentions


@dataclass(frozen=True, slots=True)
class Mention:
    """An account a post mentions."""

    id: int
    username: str


@dataclass(frozen=True, slots=True)
class Post:
    """A post with its author and what it answers; a boost carries the boosted post in
    ``reblog`` (and no text of its own). Counts are everyone's; the flags are the reader's."""

    id: int
    author: User
    content: str
    parent_id: int | None
    parent_author_id: int | None
    parent_username: str | None
    replies_count: int
    created_at: datetime
    visibility: Visibility = Visibility.PUBLIC
    mentions: tuple[Mention, ...] = ()
    reblog: Post | None = None
    favourites_count: int = 0
    reblogs_count: int = 0
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    spoiler_text: str = ""
    sensitive: bool = False
    tags: tuple[str, ...] = ()
    edited_at: datetime | None = None

    @property
    def shown(self) -> Post:
        """The post whose text, counts and buttons a reader sees: the boosted one, for a boost."""
        return self.reblog or self


@dataclass(frozen=True, slots=True)
class Relations:
    """The blocks and mutes between an account and another."""

    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False


@dataclass(frozen=True, slots=True)
class SiteUsage:
    """How many accounts the server has (and how many read their timeline in the last 30
    and 180 days), and how many posts they made (boosts too, as profiles count them):
    nodeinfo's usage."""

    users: int
    active_month: int
    active_halfyear: int
    posts: int


@dataclass(frozen=True, slots=True)
class ProfileFilter:
    """What a profile's list leaves out (Mastodon's ``exclude_reblogs``/``exclude_replies``),
    or keeps only (``tagged``: posts with that hashtag, its name as stored)."""

    exclude_reblogs: bool = False
    exclude_replies: bool = False
    tagged: str | None = None


class FeedMode(enum.StrEnum):
    """The four feeds of section 1.3 of the seed document."""

    TIMELINE = "timeline"  # own posts + followed users' posts
    MINE = "mine"  # own posts
    FOLLOWING = "following"  # followed users' posts, not own
    ALL = "all"  # every top-level post


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a feed, newest first."""

    posts: list[Post]
    next_cursor: int | None  # max_id of the next (older) page; None at the end
