"""OAuth applications, authorization codes and the apps a user authorized; the rules of what
an application registers (its name, website and redirect URIs); scopes in words. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

from microblog.domain import rules
from microblog.domain.errors import Invalid

# The redirect URI of an application that cannot receive one: the code is shown to copy.
OOB = "urn:ietf:wg:oauth:2.0:oob"
# An authorization code is good once, for ten minutes (RFC 6749 4.1.2 recommends as much).
CODE_LIFETIME_SECONDS = 600
MAX_APP_NAME_CHARS = 100
MAX_URI_CHARS = 2000
MAX_REDIRECT_URIS = 10
DEFAULT_APP_NAME = "client"
# RFC 3986's scheme; a few are never a place to send a code to.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_REFUSED_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


def digest(secret: str) -> bytes:
    """The SHA-256 kept in place of a client secret or an authorization code."""
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """A registered client application (its secret is kept as a SHA-256 only)."""

    id: int
    client_id: str
    secret_hash: bytes
    name: str
    website: str | None
    redirect_uris: tuple[str, ...]
    scopes: str
    created_at: datetime

    def secret_matches(self, secret: str) -> bool:
        """Whether ``secret`` is this application's client secret (in constant time)."""
        return hmac.compare_digest(digest(secret), self.secret_hash)


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """What a user granted an application, waiting to be exchanged for a token."""

    app_id: int
    user_id: int
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass(frozen=True, slots=True)
class AuthorizedApp:
    """An application holding tokens of a user: the scopes of all of them together, and
    when the latest was issued."""

    id: int
    name: str
    website: str | None
    scopes: str
    authorized_at: datetime
    tokens: int


def app_name(raw: object) -> str:
    """An application's name, trimmed (``client`` when none is given)."""
    if raw is None:
        return DEFAULT_APP_NAME
    if not isinstance(raw, str):
        raise Invalid("client_name must be text", "client_name")
    name = rules.storable(raw, "client_name").strip()
    if len(name) > MAX_APP_NAME_CHARS:
        raise Invalid(
            f"client_name is {len(name)} characters; the limit is {MAX_APP_NAME_CHARS}",
            "client_name",
        )
    return name or DEFAULT_APP_NAME


def website(raw: object) -> str | None:
    """An application's home page: an http(s) URL (the consent page links to it), or None."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Invalid("website must be text", "website")
    url = rules.storable(raw, "website").strip()
    if not url:
        return None
    parts = _split(url)
    if (
        len(url) > MAX_URI_CHARS
        or not _PRINTABLE_ASCII.fullmatch(url)
        or parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
    ):
        raise Invalid("website must be an http or https URL", "website")
    return url


def redirect_uris(raw: object) -> tuple[str, ...]:
    """The redirect URIs an application registers, one or more, separated by line breaks or
    spaces (``urn:ietf:wg:oauth:2.0:oob`` when none are given). Each is an absolute URI
    without a fragment: https, http or an app's own scheme (``myapp://callback``)."""
    if raw is None:
        return (OOB,)
    if isinstance(raw, list) and all(isinstance(uri, str) for uri in raw):
        raw = " ".join(raw)  # a JSON list, as some clients send
    if not isinstance(raw, str):
        raise Invalid("redirect_uris must be text", "redirect_uris")
    uris = tuple(dict.fromkeys(rules.storable(raw, "redirect_uris").split()))
    if not uris:
        return (OOB,)
    if len(uris) > MAX_REDIRECT_URIS:
        raise Invalid(f"At most {MAX_REDIRECT_URIS} redirect_uris", "redirect_uris")
    for uri in uris:
        if not redirect_uri_allowed(uri):
            raise Invalid(
                "Each of redirect_uris must be an absolute URI without a fragment "
                f"(https://…, an app's own scheme, or {OOB})",
                "redirect_uris",
            )
    return uris


def redirect_uri_allowed(uri: str) -> bool:
    """Whether ``uri`` may be registered as a redirect URI."""
    if uri == OOB:
        return True
    if len(uri) > MAX_URI_CHARS or not _PRINTABLE_ASCII.fullmatch(uri):
        return False
    parts = _split(uri)
    if parts is None or not _SCHEME.fullmatch(parts.scheme) or parts.fragment or "#" in uri:
        return False
    scheme = parts.scheme.lower()
    if scheme in _REFUSED_SCHEMES:
        return False
    if scheme in ("http", "https"):
        return bool(parts.hostname)
    return bool(parts.netloc or parts.path)


def _split(url: str) -> SplitResult | None:
    """The parts of a URL; None when it can't be read (a bad port, a broken IPv6 host)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None
    return parts


# Scopes in words, for the consent page and the list of authorized apps.
SCOPE_WORDS = {
    "read": "Read everything in your account: posts and timelines, your followers and whom "
    "you follow, notifications, favourites, bookmarks, blocks and mutes",
    "write": "Act as you: post, reply, delete, favourite, boost and bookmark; follow, block "
    "and mute; change your profile",
    "follow": "See and change whom you follow, block and mute",
    "push": "Receive push notifications",
    "profile": "See your profile only (who you are)",
    "read:accounts": "See accounts' details",
    "read:blocks": "See whom you block",
    "read:bookmarks": "See your bookmarks",
    "read:favourites": "See your favourites",
    "read:filters": "See your filters",
    "read:follows": "See whom you follow",
    "read:lists": "See your lists",
    "read:mutes": "See whom you mute",
    "read:notifications": "See your notifications",
    "read:search": "Search as you",
    "read:statuses": "Read posts and timelines as you, your home timeline included",
    "write:accounts": "Change your profile",
    "write:blocks": "Block and unblock people",
    "write:bookmarks": "Bookmark posts and remove bookmarks",
    "write:conversations": "Change your conversations",
    "write:favourites": "Favourite posts and take favourites back",
    "write:filters": "Change your filters",
    "write:follows": "Follow and unfollow people",
    "write:lists": "Change your lists",
    "write:media": "Upload media",
    "write:mutes": "Mute and unmute people",
    "write:notifications": "Dismiss and clear your notifications",
    "write:reports": "Report people",
    "write:statuses": "Post, reply, boost and delete posts",
}


def in_words(scope: str) -> list[tuple[str, str]]:
    """Each scope of a space-separated list with what it allows, in the list's order."""
    return [(s, SCOPE_WORDS.get(s, s)) for s in dict.fromkeys(scope.split())]
