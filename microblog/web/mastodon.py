"""Mastodon's entity shapes (Account, Status, Relationship, Notification, Token) for the JSON
API."""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from microblog.domain.models import Mention, Post, Relations, User
from microblog.domain.rules import MENTION
from microblog.service import Token
from microblog.social import ShownNotification


def iso(moment: datetime) -> str:
    """Mastodon's timestamp format: UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def iso_now() -> str:
    """Now, in Mastodon's timestamp format."""
    return iso(datetime.now(UTC))


def paragraph(text: str) -> str:
    """Plain text as the HTML Mastodon clients expect in ``content`` and ``note``."""
    if not text:
        return ""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def mention_links(text: str, mentions: Sequence[Mention], base_url: str) -> str:
    """A post's text as HTML (escaped, line breaks kept) whose ``@name`` mentions of known
    accounts link to their profiles (Mastodon's ``h-card`` markup)."""
    known = {m.username.lower(): m.username for m in mentions}

    def link(match: re.Match[str]) -> str:
        name = known.get(match.group(1).lower())
        if name is None:
            return match.group(0)
        return (
            f'<span class="h-card" translate="no"><a href="{base_url}/@{name}" '
            f'class="u-url mention">@<span>{name}</span></a></span>'
        )

    return MENTION.sub(link, html.escape(text)).replace("\n", "<br>")


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
    """A Mastodon Status; a boost wraps the boosted status in ``reblog``, with no content of
    its own and the boosted status's counts and the reader's flags on it."""
    if post.reblog is not None:
        inner = status(post.reblog, base_url)
        data = _status(post, base_url, inner)
        data["reblog"] = inner
        return data
    return _status(post, base_url, None)


def _status(post: Post, base_url: str, boosted: Mapping[str, Any] | None) -> dict[str, Any]:
    url = f"{base_url}/posts/{post.id}"
    counts = post.shown
    return {
        "id": str(post.id),
        "uri": url,
        "url": url,
        "created_at": iso(post.created_at),
        "edited_at": None,
        "account": account(post.author, base_url),
        "content": (
            "" if boosted else "<p>" + mention_links(post.content, post.mentions, base_url) + "</p>"
        ),
        "text": post.content,
        "visibility": post.visibility.value,
        "sensitive": False,
        "spoiler_text": "",
        "language": None,
        "in_reply_to_id": None if post.parent_id is None else str(post.parent_id),
        "in_reply_to_account_id": (
            None if post.parent_author_id is None else str(post.parent_author_id)
        ),
        "replies_count": counts.replies_count,
        "reblogs_count": counts.reblogs_count,
        "favourites_count": counts.favourites_count,
        "favourited": counts.favourited,
        "reblogged": counts.reblogged,
        "muted": False,
        "bookmarked": counts.bookmarked,
        "pinned": False,
        "reblog": None,
        "application": None,
        "media_attachments": [],
        "mentions": [
            {
                "id": str(m.id),
                "username": m.username,
                "acct": m.username,
                "url": f"{base_url}/@{m.username}",
            }
            for m in post.mentions
        ],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def notification(shown: ShownNotification, base_url: str) -> dict[str, Any]:
    """A Mastodon Notification (``status`` only for the types about a status)."""
    n = shown.notification
    data: dict[str, Any] = {
        "id": str(n.id),
        "type": n.type,
        "created_at": iso(n.created_at),
        "account": account(shown.account, base_url),
    }
    if shown.post is not None:
        data["status"] = status(shown.post, base_url)
    return data


def relationship(
    user_id: int,
    following: Collection[int],
    followed_by: Collection[int],
    relations: Relations | None = None,
) -> dict[str, Any]:
    """A Mastodon Relationship between the caller and ``user_id``."""
    rel = relations or Relations()
    return {
        "id": str(user_id),
        "following": user_id in following,
        "showing_reblogs": user_id in following,
        "notifying": False,
        "languages": None,
        "followed_by": user_id in followed_by,
        "blocking": rel.blocking,
        "blocked_by": rel.blocked_by,
        "muting": rel.muting,
        "muting_notifications": rel.muting_notifications,
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
