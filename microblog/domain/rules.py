"""Validation rules for what users type, and cursor parsing. No I/O."""

from __future__ import annotations

import re

from microblog.domain.errors import Invalid

MAX_POST_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_ID = 2**63 - 1  # ids are PostgreSQL bigint
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")


def _text(raw: str) -> str:
    """Trimmed, with browsers' CRLF line breaks as one character, as they are shown."""
    return raw.replace("\r\n", "\n").strip()


def post_content(raw: object) -> str:
    """The trimmed content of a new post, or ``Invalid``."""
    if not isinstance(raw, str):
        raise Invalid("Post text is required", "status")
    content = _text(raw)
    if not content:
        raise Invalid("Post text can't be empty", "status")
    if len(content) > MAX_POST_CHARS:
        raise Invalid(
            f"Post text is {len(content)} characters; the limit is {MAX_POST_CHARS}", "status"
        )
    return content


def username(raw: object) -> str:
    """A valid username: 1-30 letters, digits or underscores."""
    if not isinstance(raw, str) or not _USERNAME.fullmatch(raw.strip()):
        raise Invalid("Username must be 1-30 letters, digits or underscores", "username")
    return raw.strip()


def password(raw: object) -> str:
    """A password long enough to keep."""
    if not isinstance(raw, str) or len(raw) < MIN_PASSWORD_CHARS:
        raise Invalid(f"Password must be at least {MIN_PASSWORD_CHARS} characters", "password")
    if len(raw) > MAX_PASSWORD_CHARS:
        raise Invalid(f"Password must be at most {MAX_PASSWORD_CHARS} characters", "password")
    return raw


def description(raw: object) -> str:
    """A profile description of at most 500 characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid("Description must be text", "note")
    text = _text(raw)
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


def scopes(raw: object, known: tuple[str, ...], default: str) -> str:
    """OAuth scopes asked for (space-separated), restricted to ``known``; default if none."""
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str):
        raise Invalid("scope must be text", "scope")
    asked = raw.split()
    unknown = [s for s in asked if s.split(":")[0] not in known]
    if unknown:
        raise Invalid(f"Unknown scope: {' '.join(unknown)}", "scope")
    return " ".join(dict.fromkeys(asked))
