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
    """A registered client application; its credentials only when it registers."""

    id: str
    name: str
    website: str | None
    scopes: list[str]
    redirect_uri: str = Field(description="The redirect URIs, one per line.")
    redirect_uris: list[str]
    client_id: str | None = Field(None, description="Only when the application registers.")
    client_secret: str | None = Field(None, description="Only when the application registers.")
    vapid_key: str


class Instance(BaseModel):
    """About this server (``/api/v1/instance``)."""

    uri: str
    title: str
    short_description: str
    description: str
    version: str
    registrations: bool
    urls: dict[str, str] = Field(description="streaming_api: the WebSocket origin.")
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
    display_name=text(
        "The name shown beside the username, plain text (trimmed; empty clears it).",
        rules.MAX_DISPLAY_NAME_CHARS,
    ),
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
    sensitive={
        "type": "boolean",
        "description": "Marks the status sensitive (a status with spoiler_text always is).",
    },
    spoiler_text=text(
        "A content warning shown instead of the text until the reader opens it (trimmed).",
        rules.MAX_SPOILER_CHARS,
    ),
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


# Client start ----------------------------------------------------------------------------------
# What a Mastodon client calls on start (web/client_api.py), and the Idempotency-Key of
# POST /api/v1/statuses.

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any text up to 255 characters: the same key from the same account "
    "within an hour answers the status it made then, and posts nothing new.",
    "schema": {"type": "string", "maxLength": rules.MAX_IDEMPOTENCY_KEY_CHARS},
}


class Preferences(BaseModel):
    """The caller's preferences (Mastodon's keys; the server's defaults)."""

    posting_default_visibility: Literal["public", "unlisted", "private", "direct"] = Field(
        alias="posting:default:visibility"
    )
    posting_default_sensitive: bool = Field(alias="posting:default:sensitive")
    posting_default_language: str | None = Field(alias="posting:default:language")
    reading_expand_media: Literal["default", "show_all", "hide_all"] = Field(
        alias="reading:expand:media"
    )
    reading_expand_spoilers: bool = Field(alias="reading:expand:spoilers")


class CustomEmoji(BaseModel):
    """A custom emoji (this server has none)."""

    shortcode: str
    url: str
    static_url: str
    visible_in_picker: bool
    category: str | None = None


class Filter(BaseModel):
    """A v1 keyword filter (this server keeps none)."""

    id: Id
    phrase: str
    context: list[str]
    whole_word: bool
    expires_at: datetime | None
    irreversible: bool


class FilterV2(BaseModel):
    """A v2 filter (this server keeps none)."""

    id: Id
    title: str
    context: list[str]
    expires_at: datetime | None
    filter_action: Literal["warn", "hide", "blur"]
    keywords: list[dict[str, Any]]
    statuses: list[dict[str, Any]]


class Rule(BaseModel):
    """A rule of the server (it lists none)."""

    id: Id
    text: str
    hint: str = ""


class Announcement(BaseModel):
    """An announcement of the server's (it makes none)."""

    id: Id
    content: str
    starts_at: datetime | None
    ends_at: datetime | None
    all_day: bool
    published_at: datetime
    updated_at: datetime
    read: bool
    mentions: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    emojis: list[dict[str, Any]]
    reactions: list[dict[str, Any]]


class Tag(BaseModel):
    """A hashtag."""

    name: str = Field(description="As stored: lower case.")
    url: str
    history: list[dict[str, Any]] = []
    following: bool | None = None


class UserList(BaseModel):
    """A list of accounts (lists are not served: none)."""

    id: Id
    title: str
    replies_policy: Literal["followed", "list", "none"]
    exclusive: bool = False


class PreviewCard(BaseModel):
    """A link's preview (trending links: none)."""

    url: str
    title: str
    description: str
    type: Literal["link", "photo", "video", "rich"]


# Search ----------------------------------------------------------------------------------------
# GET /api/v2/search, /api/v1/accounts/search, /api/v1/timelines/tag/{hashtag} and
# /api/v1/tags/{name} (web/search_api.py); hashtags are the ``Tag`` entity above.

MAX_SEARCH_OFFSET = 10_000


class Search(BaseModel):
    """What a search found (Mastodon's v2 Search)."""

    accounts: list[Account]
    statuses: list[Status] = Field(description="None without a token (as on Mastodon).")
    hashtags: list[Tag]


HashtagName = Annotated[
    str,
    Path(
        description="A hashtag's name, without its # (any case).",
        json_schema_extra={"pattern": r"^\w{1,100}$"},
    ),
]


def _flag(name: str, description: str) -> dict[str, Any]:
    return query(name, {"type": "boolean"}, description)


def _tags(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "style": "form",
        "explode": True,
    }


SEARCH_Q = query(
    "q",
    {"type": "string", "minLength": 1, "maxLength": 500},
    "What to look for: a name (accounts whose username or display name starts with it), "
    "@name or name@this-host (that account), #tag or tag (hashtags starting with it), words "
    'for a web search of posts ("a phrase", -word, or), or a link to an account, a post or '
    "a hashtag of this server.",
    True,
)
SEARCH_OFFSET = query(
    "offset",
    {"type": "integer", "minimum": 0, "maximum": MAX_SEARCH_OFFSET},
    "How many results of each type to skip (none past the first page without a token).",
)
SEARCH_RESOLVE = _flag("resolve", "Accepted; nothing is fetched from other servers.")
SEARCH_FOLLOWING = _flag("following", "Only accounts the caller follows.")
SEARCH = [
    SEARCH_Q,
    query(
        "type",
        {"type": "string", "enum": ["accounts", "statuses", "hashtags"]},
        "Only this type of result (all three when not given).",
    ),
    _limit(20, 40),
    SEARCH_OFFSET,
    SEARCH_RESOLVE,
    SEARCH_FOLLOWING,
    query("account_id", ID_SCHEMA, "Only statuses by this account."),
    query("max_id", ID_SCHEMA, "Only statuses older than this id."),
    query("min_id", ID_SCHEMA, "Only statuses newer than this id."),
    _flag("exclude_unreviewed", IGNORED),
]
ACCOUNT_SEARCH = [SEARCH_Q, _limit(40, 80), SEARCH_OFFSET, SEARCH_RESOLVE, SEARCH_FOLLOWING]
TAG_TIMELINE = [
    *PAGING,
    _tags("any[]", "Posts carrying any of these hashtags count too (at most 10)."),
    _tags("all[]", "Only posts carrying every one of these hashtags too (at most 10)."),
    _tags("none[]", "Only posts carrying none of these hashtags (at most 10)."),
    _flag("local", "Accepted: every post here is local."),
    _flag("remote", "Only posts from other servers: none here."),
    _flag("only_media", "Only posts with media: none here."),
]


# OAuth ----------------------------------------------------------------------------------------
# The bodies of POST /api/v1/apps, /oauth/token and /oauth/revoke (web/oauth.py), and the
# answers of GET /api/v1/apps/verify_credentials.

APP_REGISTRATION = body(
    client_name=text("The application's name (default: client).", 100),
    redirect_uris=text(
        "Where to send the user after authorizing: one or more absolute URIs separated by "
        "line breaks or spaces, or urn:ietf:wg:oauth:2.0:oob to show the code (the default)."
    ),
    scopes=text("Space-separated scopes the application may ask for (default: read)."),
    website=text("The application's home page (an http or https URL)."),
)
TOKEN_REQUEST = body(
    ["grant_type"],
    grant_type={
        "type": "string",
        "enum": ["authorization_code", "client_credentials", "password"],
        "description": "authorization_code (a code from /oauth/authorize), "
        "client_credentials (a token of the application's own, with no user) or password.",
    },
    code=text("authorization_code: the code."),
    redirect_uri=text("authorization_code: the redirect URI the code was asked for with."),
    code_verifier=text("authorization_code: the PKCE verifier, when a challenge was sent."),
    client_id=text(
        "The application's client id (or HTTP Basic); required but for the password grant."
    ),
    client_secret=text("The application's client secret (or HTTP Basic)."),
    username=text("password: the account's username."),
    password=text("password: the account's password."),
    scope=text(
        "Space-separated scopes, within the application's (client_credentials: the "
        "application's when none; password without an application: read write follow push)."
    ),
)
REVOKE_REQUEST = body(
    ["token"],
    token=text("The access token to revoke (an unknown one is fine)."),
    client_id=text(
        "The application's client id: with its secret, only that application's tokens are "
        "revoked; without, any token whose value is known."
    ),
    client_secret=text("The application's client secret (or HTTP Basic)."),
    token_type_hint=text("access_token (there are no refresh tokens)."),
)


# Edits ------------------------------------------------------------------------------------


class StatusEdit(BaseModel):
    """One version of a status's text (Mastodon's StatusEdit)."""

    content: str = Field(description="The version as HTML.")
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    account: Account
    poll: dict[str, Any] | None
    media_attachments: list[dict[str, Any]]
    emojis: list[dict[str, Any]]


class StatusSource(BaseModel):
    """A status's text as typed, to edit it (Mastodon's StatusSource)."""

    id: Id
    text: str
    spoiler_text: str


EDIT = body(
    ["status"],
    status=text("The new text, plain (trimmed; not empty).", rules.MAX_POST_CHARS),
    spoiler_text=text("The new content warning (trimmed; empty: none).", rules.MAX_SPOILER_CHARS),
    sensitive={"type": "boolean", "description": "Marks the status sensitive."},
    language=text(IGNORED),
    poll={"type": "object", "description": f"Not served: {UNSERVED}"},
)


class ConversationEntity(BaseModel):
    """A Mastodon Conversation: here, one direct post and the other accounts in it."""

    id: Id
    unread: bool
    accounts: list[Account]
    last_status: Status | None
