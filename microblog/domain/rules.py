"""Validation rules for what users type, and cursor parsing. No I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Mapping

from microblog.domain.errors import Invalid
from microblog.domain.models import Visibility

MAX_POST_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_ID = 2**63 - 1  # ids are PostgreSQL bigint
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")


def _text(raw: str) -> str:
    """Trimmed, with browsers' CRLF line breaks as one character, as they are shown."""
    return raw.replace("\r\n", "\n").strip()


# What no text may hold, wherever it comes from: the control characters (C0, DEL and C1) but
# tab, line feed and carriage return (browsers send line breaks as CRLF); lone surrogates, which
# are no character (only a JSON "\\ud800" escape brings one); and Unicode's 66 noncharacters
# (U+FDD0-U+FDEF and the last two code points of each plane). PostgreSQL can't store NUL, nor
# UTF-8 encode a surrogate; the others would be stored, unseen, to confuse whoever reads them.
_NONCHARACTERS = "".join(
    chr(plane + last) for plane in range(0, 0x110000, 0x10000) for last in (0xFFFE, 0xFFFF)
)
_UNSTORABLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)


def _character_name(char: str) -> str:
    point = ord(char)
    if point == 0:
        return "NUL"
    if 0xD800 <= point <= 0xDFFF:
        return f"a lone surrogate, U+{point:04X}"
    if point < 0xA0:
        return f"the control character U+{point:04X}"
    return f"the noncharacter U+{point:04X}"


def storable(raw: str, field: str, label: str | None = None) -> str:
    """``raw`` as it is, or ``Invalid`` naming the field (``label``, else ``field``) and the
    first character no text may hold (above)."""
    found = _UNSTORABLE.search(raw)
    if found is not None:
        raise Invalid(
            f"{label or field} contains a character that can't be stored "
            f"({_character_name(found.group())})",
            field,
        )
    return raw


def post_content(raw: object) -> str:
    """The trimmed content of a new post, or ``Invalid``."""
    if not isinstance(raw, str):
        raise Invalid("Post text is required", "status")
    content = _text(storable(raw, "status", "Post text"))
    if not content:
        raise Invalid("Post text can't be empty", "status")
    if len(content) > MAX_POST_CHARS:
        raise Invalid(
            f"Post text is {len(content)} characters; the limit is {MAX_POST_CHARS}", "status"
        )
    return content


# A mention: @ and a username, not inside a word, an e-mail address or a URL path.
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_]{1,30})(?![\w@])")
MAX_MENTIONS = 20


def mentioned_names(content: str) -> list[str]:
    """The usernames a post's text mentions (``@name``), first mention first, once each."""
    seen: dict[str, str] = {}
    for name in MENTION.findall(content):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


# Hashtags (posts and clients) ---------------------------------------------------------------
# A hashtag: # and a name of letters, digits and underscores with at least one letter, not
# inside a word, a URL path or after ")" (Mastodon's rule, roughly). Names are compared and
# stored normalised (NFKC, lower case), at most 100 characters.
HASHTAG = re.compile(r"(?<![\w/)])#(\w*[^\W\d_]\w*)")
_TAG_NAME = re.compile(r"\w*[^\W\d_]\w*")
MAX_TAG_CHARS = 100


def tag_name(raw: str) -> str | None:
    """A hashtag's name as stored (NFKC, lower case, no leading ``#``), or None when it is
    no hashtag name (no letter, a character besides letters, digits and ``_``, too long)."""
    name = unicodedata.normalize("NFKC", raw.removeprefix("#")).lower()
    if len(name) > MAX_TAG_CHARS or not _TAG_NAME.fullmatch(name):
        return None
    return name


def hashtags(content: str) -> list[str]:
    """The hashtags of a post's text (``#name``), normalised, first one first, once each."""
    seen: dict[str, None] = {}
    for raw in HASHTAG.findall(content):
        name = tag_name(raw)
        if name is not None:
            seen.setdefault(name)
    return list(seen)


# Content warnings, display names, idempotency keys ------------------------------------------
MAX_SPOILER_CHARS = 100
MAX_DISPLAY_NAME_CHARS = 30
MAX_IDEMPOTENCY_KEY_CHARS = 255
_TRUE = frozenset({"true", "1", "on", "yes"})
_FALSE = frozenset({"false", "0", "off", "no", ""})


def spoiler_text(raw: object) -> str:
    """A post's content warning: trimmed, at most 100 characters; empty when not given."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid("spoiler_text must be text", "spoiler_text")
    text = _text(storable(raw, "spoiler_text", "Content warning"))
    if len(text) > MAX_SPOILER_CHARS:
        raise Invalid(
            f"Content warning is {len(text)} characters; the limit is {MAX_SPOILER_CHARS}",
            "spoiler_text",
        )
    return text


def boolean(raw: object, name: str) -> bool:
    """A boolean parameter as clients send it: JSON true/false (or 1/0), or ``true``/``1``/
    ``on`` and ``false``/``0``/``off`` (any case) in a form; absent is false."""
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        folded = raw.strip().lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
    raise Invalid(f"{name} must be true or false", name)


def display_name(raw: object) -> str:
    """A display name: trimmed, one line, at most 30 characters; empty clears it."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid("Display name must be text", "display_name")
    text = _text(storable(raw, "display_name", "Display name"))
    if "\n" in text or "\r" in text or "\t" in text:
        raise Invalid("Display name must be one line", "display_name")
    if len(text) > MAX_DISPLAY_NAME_CHARS:
        raise Invalid(
            f"Display name is limited to {MAX_DISPLAY_NAME_CHARS} characters", "display_name"
        )
    return text


def idempotency_key(raw: str | None) -> str | None:
    """An ``Idempotency-Key`` header's value (at most 255 characters), or None without one."""
    if raw is None or not raw.strip():
        return None
    key = storable(raw, "Idempotency-Key").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_CHARS:
        raise Invalid(
            f"Idempotency-Key is limited to {MAX_IDEMPOTENCY_KEY_CHARS} characters",
            "Idempotency-Key",
        )
    return key


def visibility(raw: object) -> Visibility:
    """A post's visibility (Mastodon's names; public when not given), or ``Invalid``."""
    if raw is None or raw == "":
        return Visibility.PUBLIC
    try:
        return Visibility(str(raw))
    except ValueError:
        names = ", ".join(v.value for v in Visibility)
        raise Invalid(f"visibility must be one of {names}", "visibility") from None


# Options of Mastodon's "post a status" that this server does not serve yet. Accepting and
# ignoring one would do something else than asked: a scheduled post out at once, a poll
# without its choices. They are refused until served.
UNSERVED_STATUS_OPTIONS = {
    "scheduled_at": "scheduled posts are not served yet",
    "media_ids": "media attachments are not served",
    "media_ids[]": "media attachments are not served",
    "poll": "polls are not served",
}


def only_served_options(values: Mapping[str, object]) -> None:
    """``Invalid`` for a status option this server would otherwise ignore (see above)."""
    for name, why in UNSERVED_STATUS_OPTIONS.items():
        value = values.get(name)
        if value in (None, "", [], {}, False):
            continue
        raise Invalid(f"{name}: {why}", name.removesuffix("[]"))


def username(raw: object) -> str:
    """A valid username: 1-30 letters, digits or underscores."""
    if isinstance(raw, str):
        storable(raw, "username", "Username")
    if not isinstance(raw, str) or not _USERNAME.fullmatch(raw.strip()):
        raise Invalid("Username must be 1-30 letters, digits or underscores", "username")
    return raw.strip()


def password(raw: object, username: str = "", common: Container[str] = frozenset()) -> str:
    """A new password worth keeping (NIST SP 800-63B): at least 8 characters besides spaces
    at either end, not the username, and not one of the ``common`` ones (compared lowercased).
    Any other character is allowed, spaces included; there are no composition rules."""
    if isinstance(raw, str):
        storable(raw, "password", "Password")
    if not isinstance(raw, str) or len(raw.strip()) < MIN_PASSWORD_CHARS:
        raise Invalid(
            f"Password must be at least {MIN_PASSWORD_CHARS} characters (spaces at either end "
            "don't count)",
            "password",
        )
    if len(raw) > MAX_PASSWORD_CHARS:
        raise Invalid(f"Password must be at most {MAX_PASSWORD_CHARS} characters", "password")
    folded = raw.strip().lower()
    if username and folded == username.lower():
        raise Invalid("Password can't be your username", "password")
    if folded in common or raw.lower() in common:
        raise Invalid(
            "That password is one of the 20,000 most common ones, the first that attackers "
            "try; choose another",
            "password",
        )
    return raw


def description(raw: object) -> str:
    """A profile description of at most 500 characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid("Description must be text", "note")
    text = _text(storable(raw, "note", "Description"))
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise Invalid(f"Description is limited to {MAX_DESCRIPTION_CHARS} characters", "note")
    return text


def object_id(raw: object, name: str = "id") -> int:
    """A positive bigint id from a path or query value, or ``Invalid``."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise Invalid(f"{name} must be a positive integer id", name)
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise Invalid(f"{name} must be a positive integer id", name)
    return value


def optional_id(raw: str | None, name: str) -> int | None:
    """An id from an optional query parameter; empty means absent."""
    if raw is None or raw == "":
        return None
    return object_id(raw, name)


def limit(raw: str | None, default: int, maximum: int) -> int:
    """A page size between 1 and ``maximum``."""
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise Invalid(f"limit must be a positive integer (at most {maximum} are served)", "limit")
    # Like Mastodon, a limit above the maximum is served as the maximum.
    return maximum if len(text) > 6 else min(int(text), maximum)
