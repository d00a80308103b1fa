"""OAuth scopes as Mastodon names them: what a token may do.

A token holds a set of scopes; an endpoint needs one granular scope (``write:statuses``).
The token may do it when it holds that scope, or its top-level scope (``write``), or, for
the six relationship scopes, the legacy ``follow``. ``profile`` only reads the caller's own
account (``verify_credentials``), which ``read`` and ``read:accounts`` also allow.
"""

from __future__ import annotations

from microblog.domain import rules
from microblog.domain.errors import Invalid

READ_SCOPES = (
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
)
WRITE_SCOPES = (
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
)
TOP_LEVEL = ("read", "write", "follow", "push", "profile")
KNOWN = frozenset(
    [
        *TOP_LEVEL,
        *(f"read:{s}" for s in READ_SCOPES),
        *(f"write:{s}" for s in WRITE_SCOPES),
    ]
)
# What Mastodon's deprecated ``follow`` scope stands for.
FOLLOW = frozenset(
    {"read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"}
)
# A token asked for without a scope gets ``read`` (as Mastodon does); our own sign-up and
# password log-in, made for people rather than apps, get the whole account.
DEFAULT = "read"
EVERYTHING = "read write follow push"


def parse(raw: object, default: str = DEFAULT) -> str:
    """Scopes asked for (space- or plus-separated, as clients send them), normalised: known
    ones only, each once, in the order asked; ``default`` when none are asked for."""
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str):
        raise Invalid("scope must be text", "scope")
    asked = rules.storable(raw, "scope").replace("+", " ").split()
    unknown = [s for s in asked if s not in KNOWN]
    if unknown:
        raise Invalid(f"Unknown scope: {' '.join(unknown)}", "scope")
    if not asked:
        return default
    return " ".join(dict.fromkeys(asked))


def allows(granted: str, needed: str) -> bool:
    """Whether a token holding ``granted`` may do what needs ``needed``."""
    held = set(granted.split())
    if needed in held:
        return True
    top, _, _ = needed.partition(":")
    if top in held:
        return True
    if needed in FOLLOW and "follow" in held:
        return True
    return needed == "profile" and bool(held & {"read", "read:accounts"})


def within(asked: str, allowed: str) -> bool:
    """Whether every scope ``asked`` is one ``allowed`` grants (an app asks only for what
    it registered)."""
    return all(allows(allowed, s) for s in asked.split())
