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


@dataclass(frozen=True, slots=True)
class Post:
    """A post with its author and what it answers."""

    id: int
    author: User
    content: str
    parent_id: int | None
    parent_author_id: int | None
    parent_username: str | None
    replies_count: int
    created_at: datetime


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
