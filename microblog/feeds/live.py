"""The live bus's messages: what happened, in ids only (see ``store.bus``).

- ``posts``: new posts are in their readers' feeds (at commit without a fan-out, after the
  fan-out job with one), so a stream may show them now;
- ``delete``: a post (by ``author``; ``public`` if it was a public post) is gone;
- ``edited``: posts' text changed;
- ``notifications``: notifications were made, with their recipients.
"""

from __future__ import annotations

from collections.abc import Sequence

from microblog.store.bus import Message


def posts_message(post_ids: Sequence[int]) -> Message:
    """New posts, in the feeds."""
    return {"kind": "posts", "ids": list(post_ids)}


def delete_message(post_id: int, author_id: int, public: bool) -> Message:
    """A deleted post (``public``: the public and hashtag streams showed it)."""
    return {"kind": "delete", "id": post_id, "author": author_id, "public": public}


def edited_message(post_ids: Sequence[int]) -> Message:
    """Edited posts."""
    return {"kind": "edited", "ids": list(post_ids)}


def notifications_message(made: Sequence[tuple[int, int]]) -> Message:
    """New notifications: (id, recipient) each."""
    return {"kind": "notifications", "items": [list(item) for item in made]}
