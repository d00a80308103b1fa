"""Mastodon's entity shapes (Account, Status, Relationship, Notification, Token) for the JSON
API."""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from microblog.domain import rules
from microblog.domain.models import Mention, Post, Relations, User
from microblog.domain.rules import HASHTAG, MENTION
from microblog.service import Token
from microblog.social import Conversation, ShownNotification


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


# A mention or a hashtag, whichever comes first (the text between them is escaped).
_LINKABLE = re.compile(f"{MENTION.pattern}|{HASHTAG.pattern}")


def tag_url(name: str, base_url: str) -> str:
    """The address of a hashtag's page (its name as stored)."""
    return f"{base_url}/tags/{quote(name, safe='')}"


def mention_links(
    text: str, mentions: Sequence[Mention], base_url: str, tags: Collection[str] = ()
) -> str:
    """A post's text as HTML (escaped, line breaks kept) whose ``@name`` mentions of known
    accounts link to their profiles (Mastodon's ``h-card`` markup), and whose ``#hashtags``
    among ``tags`` (the post's, as stored) link to their pages (``class="mention hashtag"``,
    ``rel="tag"``, as Mastodon writes them)."""
    known = {m.username.lower(): m.username for m in mentions}
    parts: list[str] = []
    done = 0
    for match in _LINKABLE.finditer(text):
        mentioned, tagged = match.group(1), match.group(2)
        if mentioned is not None:
            name = known.get(mentioned.lower())
            if name is None:
                continue
            link = (
                f'<span class="h-card" translate="no"><a href="{base_url}/@{name}" '
                f'class="u-url mention">@<span>{name}</span></a></span>'
            )
        else:
            tag = rules.tag_name(tagged)
            if tag is None or tag not in tags:
                continue
            link = (
                f'<a href="{html.escape(tag_url(tag, base_url))}" class="mention hashtag" '
                f'rel="tag">#<span>{html.escape(tagged)}</span></a>'
            )
        parts += [html.escape(text[done : match.start()]), link]
        done = match.end()
    parts.append(html.escape(text[done:]))
    return "".join(parts).replace("\n", "<br>")


def account(user: User, base_url: str) -> dict[str, Any]:
    """A Mastodon Account."""
    avatar = f"{base_url}/avatars/{user.username}.svg"  # web/avatars.py
    return {
        "id": str(user.id),
        "username": user.username,
        "acct": user.username,
        "display_name": user.name,
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


def conversation(found: Conversation, base_url: str) -> dict[str, Any]:
    """A Mastodon Conversation: here, one direct post and the other accounts in it."""
    return {
        "id": str(found.post.id),
        "unread": False,
        "accounts": [account(a, base_url) for a in found.accounts],
        "last_status": status(found.post, base_url),
    }


def status_edit(
    post: Post,
    content: str,
    spoiler_text: str,
    sensitive: bool,
    created_at: datetime,
    base_url: str,
) -> dict[str, Any]:
    """A Mastodon StatusEdit: one version of a post's text (its mentions linked as the
    post's are now, its hashtags as the version has them)."""
    html = mention_links(content, post.mentions, base_url, tuple(rules.hashtags(content)))
    return {
        "content": f"<p>{html}</p>",
        "spoiler_text": spoiler_text,
        "sensitive": sensitive,
        "created_at": iso(created_at),
        "account": account(post.author, base_url),
        "poll": None,
        "media_attachments": [],
        "emojis": [],
    }


def _status(post: Post, base_url: str, boosted: Mapping[str, Any] | None) -> dict[str, Any]:
    url = f"{base_url}/posts/{post.id}"
    counts = post.shown
    return {
        "id": str(post.id),
        "uri": url,
        "url": url,
        "created_at": iso(post.created_at),
        "edited_at": None if post.edited_at is None else iso(post.edited_at),
        "account": account(post.author, base_url),
        "content": (
            ""
            if boosted
            else "<p>" + mention_links(post.content, post.mentions, base_url, post.tags) + "</p>"
        ),
        "text": post.content,
        "visibility": post.visibility.value,
        "sensitive": post.sensitive,
        "spoiler_text": post.spoiler_text,
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
        "tags": [{"name": t, "url": tag_url(t, base_url)} for t in post.tags],
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
