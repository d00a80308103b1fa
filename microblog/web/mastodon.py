"""Mastodon's entity shapes (Account, Status, Relationship, Token) for the JSON API."""

from __future__ import annotations

import html
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from microblog.domain.models import Post, User
from microblog.service import Token


def iso(moment: datetime) -> str:
    """Mastodon's timestamp format: UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def paragraph(text: str) -> str:
    """Plain text as the HTML Mastodon clients expect in ``content`` and ``note``."""
    if not text:
        return ""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def account(user: User, base_url: str) -> dict[str, Any]:
    """A Mastodon Account."""
    avatar = f"{base_url}/static/avatar.svg"
    return {
        "id": str(user.id),
        "username": user.username,
        "acct": user.username,
        "display_name": user.username,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": iso(user.created_at),
        "note": paragraph(user.description),
        "url": f"{base_url}/@{user.username}",
        "uri": f"{base_url}/users/{user.username}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": "",
        "header_static": "",
        "followers_count": user.followers_count,
        "following_count": user.following_count,
        "statuses_count": user.posts_count,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }


def credential_account(user: User, base_url: str) -> dict[str, Any]:
    """The caller's own Account, with the ``source`` block Mastodon adds."""
    data = account(user, base_url)
    data["source"] = {
        "note": user.description,
        "privacy": "public",
        "sensitive": False,
        "language": None,
        "fields": [],
        "follow_requests_count": 0,
    }
    return data


def status(post: Post, base_url: str) -> dict[str, Any]:
    """A Mastodon Status."""
    url = f"{base_url}/posts/{post.id}"
    return {
        "id": str(post.id),
        "uri": url,
        "url": url,
        "created_at": iso(post.created_at),
        "edited_at": None,
        "account": account(post.author, base_url),
        "content": paragraph(post.content),
        "text": post.content,
        "visibility": "public",
        "sensitive": False,
        "spoiler_text": "",
        "language": None,
        "in_reply_to_id": None if post.parent_id is None else str(post.parent_id),
        "in_reply_to_account_id": (
            None if post.parent_author_id is None else str(post.parent_author_id)
        ),
        "replies_count": post.replies_count,
        "reblogs_count": 0,
        "favourites_count": 0,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "reblog": None,
        "application": None,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def relationship(
    user_id: int, following: Collection[int], followed_by: Collection[int]
) -> dict[str, Any]:
    """A Mastodon Relationship between the caller and ``user_id``."""
    return {
        "id": str(user_id),
        "following": user_id in following,
        "showing_reblogs": user_id in following,
        "notifying": False,
        "languages": None,
        "followed_by": user_id in followed_by,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "requested": False,
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def token(issued: Token) -> dict[str, Any]:
    """A Mastodon Token."""
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.scope,
        "created_at": int(issued.created_at.timestamp()),
    }
