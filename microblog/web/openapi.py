"""The OpenAPI document of the JSON API: the entities, the error shape, and ``operation``,
which each route of ``web/api.py`` and ``web/oauth.py`` declares itself with.

Documentation only. The handlers read their parameters through ``web/params.py`` (query
string, form or JSON body, merged as Mastodon does) and check them with ``domain/rules.py``,
so FastAPI validates none of what is declared here: parameters and bodies go into the
document through ``openapi_extra``, and the entities below are response *models* for the
document (``responses=``), never ``response_model``s that would filter what is sent.
Every operation answers errors as ``{"error": "…"}``; FastAPI's own 422 shape is never
declared, since no route leaves the 422 undeclared.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from microblog.domain import rules

# Security ------------------------------------------------------------------------------------

# Declares the bearer scheme (Swagger UI's "Authorize"); ``deps.api_user`` reads the token.
# Without ``auto_error`` it never answers for the route: it only reads the header.
BEARER = HTTPBearer(
    scheme_name="bearer",
    auto_error=False,
    description="A token from POST /oauth/token (password grant) or POST /api/v1/accounts.",
)

# Errors --------------------------------------------------------------------------------------


class Error(BaseModel):
    """Every error: a message safe to show."""

    error: str = Field(description="What went wrong, in words a person can act on.")


ERRORS = {
    400: "The body can't be read: malformed JSON, or JSON that is not an object.",
    401: "No valid access token: missing, unknown or revoked.",
    403: "The action is not the caller's to take.",
    404: "No such account, status or notification, or a status the caller may not see.",
    413: "The request body is larger than MICROBLOG_MAX_BODY_BYTES.",
    422: "A parameter breaks a rule (the message names it): a malformed id, text too long or "
    "holding a character that can't be stored (NUL, a control character, a lone surrogate, a "
    "noncharacter).",
    429: "Too many requests (MICROBLOG_RATE_LIMIT_*); Retry-After says when to try again.",
    503: "Too busy checking passwords right now; Retry-After says when to try again.",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
}

# Entities (Mastodon's shapes, as web/mastodon.py renders them) -----------------------------

Id = Annotated[str, Field(description="A numeric id, as a string (Mastodon's convention).")]


class Account(BaseModel):
    """A Mastodon Account."""

    id: Id
    username: str
    acct: str
    display_name: str
    locked: bool
    bot: bool
    discoverable: bool
    group: bool
    created_at: datetime
    note: str = Field(description="The profile description as HTML.")
    url: str
    uri: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: str | None
    emojis: list[dict[str, Any]]
    fields: list[dict[str, Any]]


class Source(BaseModel):
    """The caller's own profile as typed (``CredentialAccount.source``)."""

    note: str = Field(description="The profile description as plain text.")
    privacy: str
    sensitive: bool
    language: str | None
    fields: list[dict[str, Any]]
    follow_requests_count: int


class CredentialAccount(Account):
    """The caller's own Account, with its ``source``."""

    source: Source


class Status(BaseModel):
    """A Mastodon Status: a post."""

    id: Id
    uri: str
    url: str
    created_at: datetime
    edited_at: str | None
    account: Account
    content: str = Field(description="The post as HTML.")
    text: str | None = Field(None, description="The post as typed (in a deleted status).")
    visibility: Literal["public", "unlisted", "private", "direct"]
    sensitive: bool
    spoiler_text: str
    language: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    favourited: bool
    reblogged: bool
    muted: bool
    bookmarked: bool
    pinned: bool
    reblog: dict[str, Any] | None
    application: dict[str, Any] | None
    media_attachments: list[dict[str, Any]]
    mentions: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    emojis: list[dict[str, Any]]
    card: dict[str, Any] | None
    poll: dict[str, Any] | None


class Context(BaseModel):
    """A status's thread: what it answers (root first) and its replies."""

    ancestors: list[Status]
    descendants: list[Status]


class Relationship(BaseModel):
    """The caller's relationship to an account."""

    id: Id
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    requested: bool
    requested_by: bool
    domain_blocking: bool
    endorsed: bool
    note: str


class Token(BaseModel):
    """An OAuth access token."""

    access_token: str
    token_type: Literal["Bearer"]
    scope: str
    created_at: int = Field(description="Seconds since the epoch.")


class Application(BaseModel):
    """A registered client application (its credentials are not checked later)."""

    id: str
    name: str
    website: str | None
    redirect_uri: str
    client_id: str
    client_secret: str
    vapid_key: str


class Instance(BaseModel):
    """About this server (``/api/v1/instance``)."""

    uri: str
    title: str
    short_description: str
    description: str
    version: str
    registrations: bool
    configuration: dict[str, Any]


class InstanceV2(BaseModel):
    """About this server (``/api/v2/instance``, Mastodon 4's shape)."""

    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: dict[str, Any]
    languages: list[str]
    configuration: dict[str, Any]
    registrations: dict[str, Any]
    contact: dict[str, Any]
    rules: list[dict[str, Any]]


class Empty(BaseModel):
    """An empty object."""


class Notification(BaseModel):
    """Something another account did to the caller: followed, mentioned (a reply too),
    favourited or boosted (``status``: the status it is about, absent for a follow)."""

    id: Id
    type: Literal["follow", "mention", "favourite", "reblog"]
    created_at: datetime
    account: Account
    status: Status | None = None


class UnreadCount(BaseModel):
    """How many notifications are newer than the notifications marker."""

    count: int


class Marker(BaseModel):
    """Where the caller stopped reading a timeline."""

    last_read_id: Id
    version: int
    updated_at: datetime


class Markers(BaseModel):
    """The markers asked for."""

    home: Marker | None = None
    notifications: Marker | None = None


# Parameters ----------------------------------------------------------------------------------

ID_PATTERN = "^[1-9][0-9]{0,18}$"
ID_SCHEMA = {"type": "string", "pattern": ID_PATTERN}

AccountId = Annotated[
    str, Path(description="An account id.", json_schema_extra={"pattern": ID_PATTERN})
]
StatusId = Annotated[
    str, Path(description="A status id.", json_schema_extra={"pattern": ID_PATTERN})
]


def query(
    name: str, schema: dict[str, Any], description: str, required: bool = False
) -> dict[str, Any]:
    """One query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def _limit(default: int, maximum: int) -> dict[str, Any]:
    return query(
        "limit",
        {"type": "integer", "minimum": 1, "default": default},
        f"How many to return (default {default}; more than {maximum} are served as {maximum}).",
    )


MAX_ID = query("max_id", ID_SCHEMA, "Only results older than this id (the next page).")
# A timeline's paging: ``Link`` headers carry the next (older) and previous (newer) pages.
PAGING = [
    MAX_ID,
    query("since_id", ID_SCHEMA, "Only results newer than this id (the newest page of them)."),
    query("min_id", ID_SCHEMA, "Only results newer than this id (the page just above it)."),
    _limit(20, 40),
]
# A list of accounts (followers, following): newest account id first.
ACCOUNT_PAGING = [MAX_ID, _limit(40, 80)]
# Lists paged by their rows' ids (favourites, bookmarks, blocks, mutes, who favourited or
# boosted): max_id is the cursor from the Link header, not a status or account id.
ROW_CURSOR = query("max_id", ID_SCHEMA, "The cursor of the next page (from the Link header).")
ROW_PAGING = [ROW_CURSOR, _limit(20, 40)]
# The same for lists of accounts (blocks, mutes, who favourited or boosted): Mastodon's
# 40 by default, at most 80.
ACCOUNT_ROW_PAGING = [ROW_CURSOR, _limit(40, 80)]
NOTIFICATION_TYPES = {"type": "string", "enum": ["follow", "mention", "favourite", "reblog"]}
NOTIFICATION_PAGING = [
    *PAGING[:3],
    _limit(40, 80),
    {
        "name": "types[]",
        "in": "query",
        "description": "Only these types (repeated).",
        "schema": {"type": "array", "items": NOTIFICATION_TYPES},
        "style": "form",
        "explode": True,
    },
    {
        "name": "exclude_types[]",
        "in": "query",
        "description": "Not these types (repeated).",
        "schema": {"type": "array", "items": NOTIFICATION_TYPES},
        "style": "form",
        "explode": True,
    },
    query(
        "account_id",
        ID_SCHEMA,
        "Only notifications from this account: not served yet, so a value is refused (422) "
        "rather than ignored.",
    ),
]
MARKER_TIMELINES = [
    {
        "name": "timeline[]",
        "in": "query",
        "description": "Which markers: home, notifications (both when not given).",
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
    }
]


def text(description: str, max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    """The schema of a text field."""
    schema: dict[str, Any] = {"type": "string", "description": description, **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def body(required: Sequence[str] = (), **fields: dict[str, Any]) -> dict[str, Any]:
    """A request body: the same fields as JSON or as a form (the query string works too)."""
    schema: dict[str, Any] = {"type": "object", "properties": fields}
    if required:
        schema["required"] = list(required)
    return {
        "required": bool(required),
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }


IGNORED = "Accepted for Mastodon clients; ignored."
USERNAME = text("1-30 letters, digits or underscores.", 30, minLength=1)
PASSWORD = text(
    f"At least {rules.MIN_PASSWORD_CHARS} characters, not a common password.",
    rules.MAX_PASSWORD_CHARS,
)

BOOLEAN_IGNORED = {"type": "boolean", "description": IGNORED}
UNSERVED = "a value other than empty is refused (422) rather than ignored."
REGISTER = body(
    ["username", "password"],
    username=USERNAME,
    password=PASSWORD,
    email=text(IGNORED),
    agreement=BOOLEAN_IGNORED,
    locale=text(IGNORED),
    reason=text(IGNORED),
)
CREDENTIALS = body(
    note=text("The profile description, plain text.", rules.MAX_DESCRIPTION_CHARS),
    display_name=text(IGNORED),
)
STATUS = body(
    ["status"],
    status=text("The post, plain text (trimmed; not empty).", rules.MAX_POST_CHARS),
    in_reply_to_id={**ID_SCHEMA, "description": "The status this one answers."},
    visibility={
        "type": "string",
        "enum": ["public", "unlisted", "private", "direct"],
        "description": "Who sees it: everyone (public, the default); everyone but the public "
        "timeline (unlisted); followers and mentioned accounts (private); mentioned accounts "
        "(direct).",
    },
    sensitive=BOOLEAN_IGNORED,
    spoiler_text=text(f"Not served yet: {UNSERVED}"),
    language=text(IGNORED),
    scheduled_at=text(f"Not served yet: {UNSERVED}"),
    poll={"type": "object", "description": f"Not served: {UNSERVED}"},
)
MUTE = body(
    notifications={"type": "boolean", "description": "Hide its notifications too (default)."},
    duration={"type": "integer", "description": "0 (for good); timed mutes are refused (422)."},
)


def _last_read(what: str) -> dict[str, Any]:
    return {**ID_SCHEMA, "description": f"The newest {what} read (a marker never moves back)."}


# As JSON, nested (Mastodon.py's and most clients' way); as a form, with bracketed keys. At
# least one of the two markers.
MARKER = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "minProperties": 1,
                "properties": {
                    "home": {
                        "type": "object",
                        "required": ["last_read_id"],
                        "properties": {"last_read_id": _last_read("home timeline status")},
                    },
                    "notifications": {
                        "type": "object",
                        "required": ["last_read_id"],
                        "properties": {"last_read_id": _last_read("notification")},
                    },
                },
            }
        },
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "minProperties": 1,
                "properties": {
                    "home[last_read_id]": _last_read("home timeline status"),
                    "notifications[last_read_id]": _last_read("notification"),
                },
            }
        },
    },
}
REBLOG = body(
    visibility={
        "type": "string",
        "enum": ["public", "unlisted", "private"],
        "description": "A boost takes the boosted status's visibility: public and unlisted "
        "(the same for a boost, which no public timeline lists) are served as that; private "
        "only for one's own private status, else refused (422) rather than ignored.",
    },
)
SCOPE = text(
    "Space-separated scopes: read, write, follow, push, or their parts such as "
    "read:statuses (default: read write follow)."
)
APP = body(
    client_name=text("The application's name (default: client).", 100),
    redirect_uris=text("Where to send the user after authorizing (default: out of band)."),
    scopes=text(IGNORED),
    website=text("The application's home page."),
)
TOKEN = body(
    ["grant_type", "username", "password"],
    grant_type={"type": "string", "enum": ["password"], "description": "Only the password grant."},
    username=text("The account's username."),
    password=text("The account's password."),
    scope=SCOPE,
    client_id=text(IGNORED),
    client_secret=text(IGNORED),
    redirect_uri=text(IGNORED),
)
REVOKE = body(
    ["token"],
    token=text("The access token to revoke (an unknown one is fine)."),
    client_id=text(IGNORED),
    client_secret=text(IGNORED),
)
LOOKUP = [
    query("acct", {"type": "string", "minLength": 1}, "The username (a leading @ is fine).", True)
]
RELATIONSHIPS = [
    {
        "name": "id[]",
        "in": "query",
        "description": "The accounts (repeated; plain id works too).",
        "schema": {"type": "array", "items": ID_SCHEMA},
        "style": "form",
        "explode": True,
    }
]

# The operation ---------------------------------------------------------------------------------

Auth = Literal["required", "optional", "none"]
LINK_HEADER = {
    "Link": {
        "description": 'The next (older) page as rel="next", the newer one as rel="prev".',
        "schema": {"type": "string"},
    }
}


def operation(
    ok: Any,
    *errors: int,
    auth: Auth = "none",
    params: Sequence[dict[str, Any]] = (),
    request_body: dict[str, Any] | None = None,
    paged: bool = False,
) -> dict[str, Any]:
    """The keyword arguments of a route decorator that document one operation.

    ``ok`` is the type of the 200 body (a model, or a list of one); ``errors`` the other
    statuses it answers besides 422 and 429, which every operation may (a query parameter
    holding a character that can't be stored; a rate limit). ``auth`` "required" adds 401;
    "optional" documents a token the operation reads when sent. A body adds 400 and 413.
    """
    statuses = set(errors) | {422, 429}
    extra: dict[str, Any] = {}
    dependencies = []
    if auth != "none":
        dependencies.append(Security(BEARER))
    if auth == "required":
        statuses.add(401)
    elif auth == "optional":
        statuses.add(401)  # a token that is sent must be valid
        extra["security"] = [{}]  # joined to FastAPI's [{"bearer": []}]: either
    if request_body is not None:
        statuses |= {400, 413}
        extra["requestBody"] = request_body
    if params:
        extra["parameters"] = list(params)
    ok_response: dict[str, Any] = {"model": ok, "description": "Success"}
    if paged:
        ok_response["headers"] = LINK_HEADER
    responses: dict[int | str, dict[str, Any]] = {200: ok_response}
    for status in sorted(statuses):
        responses[status] = {"model": Error, "description": ERRORS[status]}
        if status in (429, 503):
            responses[status]["headers"] = RETRY_AFTER
    return {
        "responses": responses,
        "openapi_extra": extra,
        "dependencies": dependencies,
        "response_model": None,  # the handlers' return types are not the entities'
    }
