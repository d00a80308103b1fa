"""The JSON API under /api/v1, shaped like Mastodon's client API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request

from microblog.domain import rules, scopes
from microblog.domain.errors import Forbidden, Invalid, NotFound, Unauthenticated
from microblog.domain.models import FeedMode, Page, ProfileFilter, User
from microblog.web import mastodon, oauth, params
from microblog.web.deps import ApiAccess, MicroblogDep, maybe_scoped, scoped
from microblog.web.jsonresponse import FastJSONResponse
from microblog.web.openapi import (
    ACCOUNT_PAGING,
    APP_REGISTRATION,
    CREDENTIALS,
    IDEMPOTENCY_KEY,
    LOOKUP,
    PAGING,
    REGISTER,
    RELATIONSHIPS,
    STATUS,
    Account,
    AccountId,
    Application,
    Context,
    CredentialAccount,
    Instance,
    InstanceV2,
    Relationship,
    Status,
    StatusId,
    Token,
    body,
    operation,
    text,
)
from microblog.web.ratelimit import limiter

# Every router refuses a query or path parameter holding a character no text may hold.
STORABLE = [Depends(params.storable_parameters)]
router = APIRouter(
    prefix="/api/v1", tags=["api"], default_response_class=FastJSONResponse, dependencies=STORABLE
)


def base_url(request: Request) -> str:
    """The server's public origin (``MICROBLOG_PUBLIC_URL``) for absolute URLs; never the
    request's ``Host`` header, which any client can set."""
    return request.app.state.runtime.settings.origin  # type: ignore[no-any-return]


def _page_response(request: Request, page: Page) -> FastJSONResponse:
    base = base_url(request)
    response = FastJSONResponse([mastodon.status(p, base) for p in page.posts])
    links = []
    kept = {k: v for k, v in request.query_params.items() if k == "limit"}
    url = f"{base}{request.url.path}"
    if page.next_cursor is not None:
        links.append(f'<{url}?{urlencode({**kept, "max_id": page.next_cursor})}>; rel="next"')
    if page.posts:
        links.append(f'<{url}?{urlencode({**kept, "min_id": page.posts[0].id})}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _id(raw: str, name: str = "id") -> int:
    return rules.object_id(raw, name)


# Accounts ---------------------------------------------------------------------------------


@router.post(
    "/accounts",
    summary="Register an account; returns a token",
    **operation(Token, 503, request_body=REGISTER),
)
async def register(request: Request, access: ApiAccess, microblog: MicroblogDep) -> dict[str, Any]:
    # Mastodon asks for an application's token (client_credentials, write:accounts); the new
    # account's token then belongs to that application, with its scopes. Without a token
    # (ours: the sign-up page allows as much) the token gets every scope.
    if access is not None and not scopes.allows(access.scope, "write:accounts"):
        raise Forbidden("This action is outside the authorized scopes (it needs write:accounts)")
    values = await params.body(request)
    await limiter(request).signup(request)
    user = await microblog.sign_up(values.get("username"), values.get("password"))
    if access is None:
        return mastodon.token(await microblog.issue_token(user.id))
    token = await microblog.issue_token(user.id, access.scope, access.app_id)
    return mastodon.token(token)


@router.get(
    "/accounts/verify_credentials",
    summary="The caller's own account",
    **operation(CredentialAccount, auth="required"),
)
async def verify_credentials(
    request: Request, user: Annotated[User, scoped("profile")], microblog: MicroblogDep
) -> dict[str, Any]:
    # The caller as the token remembered it may be seconds old (``credentials``): its
    # counts are read afresh, as the caller's own writes may have just changed them.
    fresh = await microblog.own_account(user.id)
    return mastodon.credential_account(fresh, base_url(request))


@router.patch(
    "/accounts/update_credentials",
    summary="Update the caller's profile (note, display_name)",
    **operation(CredentialAccount, auth="required", request_body=CREDENTIALS),
)
async def update_credentials(
    request: Request, user: Annotated[User, scoped("write:accounts")], microblog: MicroblogDep
) -> dict[str, Any]:
    values = await params.body(request)
    note = params.optional_text(values, "note")
    display_name = params.optional_text(values, "display_name")
    if note is not None or display_name is not None:
        user = await microblog.update_profile(user.id, description=note, display_name=display_name)
    return mastodon.credential_account(user, base_url(request))


DELETE_ACCOUNT = body(["password"], password=text("The account's password, to confirm."))


@router.delete(
    "/accounts/me",
    summary="Delete the caller's account for good (ours; the password confirms it)",
    **operation(Account, auth="required", request_body=DELETE_ACCOUNT),
)
async def delete_account(
    request: Request, user: Annotated[User, scoped("write:accounts")], microblog: MicroblogDep
) -> dict[str, Any]:
    # Mastodon has no such endpoint. The password check counts as a log-in attempt.
    values = await params.body(request)
    await limiter(request).login(request, user.username)
    gone = await microblog.delete_account(user.id, values.get("password"))
    return mastodon.account(gone, base_url(request))


@router.get(
    "/accounts/lookup",
    summary="Find an account by username",
    **operation(Account, 404, params=LOOKUP),
)
async def lookup(
    request: Request,
    microblog: MicroblogDep,
    _reader: Annotated[User | None, maybe_scoped("read:accounts")],
) -> dict[str, Any]:
    acct = request.query_params.get("acct", "").strip()
    if not acct:
        raise Invalid("acct is required", "acct")
    return mastodon.account(await microblog.user_named(acct), base_url(request))


@router.get(
    "/accounts/relationships",
    summary="The caller's relationships to accounts",
    **operation(list[Relationship], auth="required", params=RELATIONSHIPS),
)
async def relationships(
    request: Request, user: Annotated[User, scoped("read:follows")], microblog: MicroblogDep
) -> list[dict[str, Any]]:
    ids = [_id(v, "id[]") for v in request.query_params.getlist("id[]")]
    ids += [_id(v, "id") for v in request.query_params.getlist("id")]
    following = await microblog.following_among(user.id, ids)
    followed_by = await microblog.followers_among(user.id, ids)
    relations = await microblog.relations(user.id, ids)
    return [mastodon.relationship(i, following, followed_by, relations.get(i)) for i in ids]


@router.get("/accounts/{account_id}", summary="One account", **operation(Account, 404))
async def get_account(
    request: Request,
    account_id: AccountId,
    microblog: MicroblogDep,
    _reader: Annotated[User | None, maybe_scoped("read:accounts")],
) -> dict[str, Any]:
    return mastodon.account(await microblog.user(_id(account_id)), base_url(request))


async def relationship_to(microblog: MicroblogDep, user: User, target_id: int) -> dict[str, Any]:
    """The caller's Relationship to one account (what follow, block and mute answer)."""
    following = await microblog.following_among(user.id, [target_id])
    followed_by = await microblog.followers_among(user.id, [target_id])
    relations = await microblog.relations(user.id, [target_id])
    return mastodon.relationship(target_id, following, followed_by, relations.get(target_id))


@router.post(
    "/accounts/{account_id}/follow",
    summary="Follow an account",
    **operation(Relationship, 404, auth="required"),
)
async def follow(
    account_id: AccountId, user: Annotated[User, scoped("write:follows")], microblog: MicroblogDep
) -> dict[str, Any]:
    target = await microblog.follow(user.id, _id(account_id))
    return await relationship_to(microblog, user, target.id)


@router.post(
    "/accounts/{account_id}/unfollow",
    summary="Unfollow an account",
    **operation(Relationship, 404, auth="required"),
)
async def unfollow(
    account_id: AccountId, user: Annotated[User, scoped("write:follows")], microblog: MicroblogDep
) -> dict[str, Any]:
    target = await microblog.unfollow(user.id, _id(account_id))
    return await relationship_to(microblog, user, target.id)


def _users_response(request: Request, found: list[User], limit: int) -> FastJSONResponse:
    base = base_url(request)
    response = FastJSONResponse([mastodon.account(u, base) for u in found])
    if len(found) == limit:
        url = f"{base}{request.url.path}?{urlencode({'limit': limit, 'max_id': found[-1].id})}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


@router.get(
    "/accounts/{account_id}/followers",
    summary="Accounts following this one",
    **operation(list[Account], 404, params=ACCOUNT_PAGING, paged=True),
)
async def followers(
    request: Request,
    account_id: AccountId,
    microblog: MicroblogDep,
    _reader: Annotated[User | None, maybe_scoped("read:accounts")],
) -> FastJSONResponse:
    limit = params.limit(request, 40, 80)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    found = await microblog.followers(_id(account_id), max_id, limit)
    return _users_response(request, found, limit)


@router.get(
    "/accounts/{account_id}/following",
    summary="Accounts this one follows",
    **operation(list[Account], 404, params=ACCOUNT_PAGING, paged=True),
)
async def following(
    request: Request,
    account_id: AccountId,
    microblog: MicroblogDep,
    _reader: Annotated[User | None, maybe_scoped("read:accounts")],
) -> FastJSONResponse:
    limit = params.limit(request, 40, 80)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    found = await microblog.following(_id(account_id), max_id, limit)
    return _users_response(request, found, limit)


@router.get(
    "/accounts/{account_id}/statuses",
    summary="An account's posts and boosts that the caller may see",
    **operation(list[Status], 404, auth="optional", params=PAGING, paged=True),
)
async def account_statuses(
    request: Request,
    account_id: AccountId,
    user: Annotated[User | None, maybe_scoped("read:statuses")],
    microblog: MicroblogDep,
) -> FastJSONResponse:
    window, limit = params.window(request), params.limit(request)
    reader = None if user is None else user.id
    tagged = request.query_params.get("tagged", "").strip()
    only = ProfileFilter(
        params.flag(request, "exclude_reblogs"),
        params.flag(request, "exclude_replies"),
        rules.tag_name(tagged) if tagged else None,
    )
    if tagged and only.tagged is None:
        # No hashtag has that name: none of the account's posts has it (as on Mastodon).
        await microblog.user(_id(account_id))
        return _page_response(request, Page([], None))
    if params.flag(request, "pinned") or params.flag(request, "only_media"):
        # Nothing is pinned and there is no media here: the list is truly empty.
        await microblog.user(_id(account_id))
        return _page_response(request, Page([], None))
    page = await microblog.user_posts(_id(account_id), window, limit, reader, only)
    return _page_response(request, page)


# Statuses ---------------------------------------------------------------------------------


@router.post(
    "/statuses",
    summary="Publish a status (a reply with in_reply_to_id)",
    **operation(Status, 404, auth="required", request_body=STATUS, params=[IDEMPOTENCY_KEY]),
)
async def create_status(
    request: Request, user: Annotated[User, scoped("write:statuses")], microblog: MicroblogDep
) -> dict[str, Any]:
    values = await params.body(request)
    rules.only_served_options(values)
    visibility = rules.visibility(values.get("visibility"))
    reply_to = values.get("in_reply_to_id")
    parent_id = None if reply_to in (None, "") else _id(str(reply_to), "in_reply_to_id")
    key = rules.idempotency_key(request.headers.get("idempotency-key"))
    await limiter(request).post(user.id)
    post = await microblog.create_post(
        user.id,
        values.get("status"),
        parent_id,
        visibility,
        spoiler_text=values.get("spoiler_text"),
        sensitive=values.get("sensitive"),
        idempotency_key=key,
    )
    return mastodon.status(post, base_url(request))


@router.get(
    "/statuses/{status_id}",
    summary="One status (404 when the caller may not see it)",
    **operation(Status, 404, auth="optional"),
)
async def get_status(
    request: Request,
    status_id: StatusId,
    user: Annotated[User | None, maybe_scoped("read:statuses")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    reader = None if user is None else user.id
    return mastodon.status(await microblog.post(_id(status_id), reader), base_url(request))


@router.delete(
    "/statuses/{status_id}",
    summary="Delete one's own status",
    **operation(Status, 403, 404, auth="required"),
)
async def delete_status(
    request: Request,
    status_id: StatusId,
    user: Annotated[User, scoped("write:statuses")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    post = await microblog.delete_post(user.id, _id(status_id))
    data = mastodon.status(post, base_url(request))
    data["text"] = post.content
    return data


@router.get(
    "/statuses/{status_id}/context",
    summary="A status's ancestors and descendants that the caller may see",
    **operation(Context, 404, auth="optional"),
)
async def status_context(
    request: Request,
    status_id: StatusId,
    user: Annotated[User | None, maybe_scoped("read:statuses")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    thread = await microblog.thread(_id(status_id), None if user is None else user.id)
    base = base_url(request)
    return {
        "ancestors": [mastodon.status(p, base) for p in thread.ancestors],
        "descendants": [mastodon.status(p, base) for p in thread.descendants],
    }


# Timelines --------------------------------------------------------------------------------


@router.get(
    "/timelines/home",
    summary="Home timeline: own posts and followed accounts'",
    **operation(list[Status], auth="required", params=PAGING, paged=True),
)
async def home(
    request: Request, user: Annotated[User, scoped("read:statuses")], microblog: MicroblogDep
) -> FastJSONResponse:
    window, limit = params.window(request), params.limit(request)
    return _page_response(request, await microblog.feed(user.id, FeedMode.TIMELINE, window, limit))


@router.get(
    "/timelines/following",
    summary="Followed accounts' posts only (extension)",
    **operation(list[Status], auth="required", params=PAGING, paged=True),
)
async def following_timeline(
    request: Request, user: Annotated[User, scoped("read:statuses")], microblog: MicroblogDep
) -> FastJSONResponse:
    window, limit = params.window(request), params.limit(request)
    return _page_response(request, await microblog.feed(user.id, FeedMode.FOLLOWING, window, limit))


@router.get(
    "/timelines/public",
    summary="Every public top-level post (less accounts the caller mutes or blocks)",
    **operation(list[Status], auth="optional", params=PAGING, paged=True),
)
async def public(
    request: Request,
    user: Annotated[User | None, maybe_scoped("read:statuses")],
    microblog: MicroblogDep,
) -> FastJSONResponse:
    window, limit = params.window(request), params.limit(request)
    reader = None if user is None else user.id
    return _page_response(request, await microblog.feed(reader, FeedMode.ALL, window, limit))


@router.post(
    "/apps",
    summary="Register a client application (Mastodon clients start here)",
    **operation(Application, request_body=APP_REGISTRATION),
)
async def create_app(request: Request, microblog: MicroblogDep) -> dict[str, Any]:
    values = await params.body(request)
    app, secret = await microblog.register_app(
        values.get("client_name"),
        values.get("website"),
        values.get("redirect_uris"),
        values.get("scopes"),
    )
    return oauth.application(app, secret)


@router.get(
    "/apps/verify_credentials",
    summary="The application of the caller's token",
    **operation(Application, 404, auth="required"),
)
async def verify_app_credentials(access: ApiAccess, microblog: MicroblogDep) -> dict[str, Any]:
    # Any token will do, an application's own or a user's; no scope is needed.
    if access is None:
        raise Unauthenticated("The access token is invalid")
    if access.app_id is None:
        raise NotFound("This token was issued to no application")
    return oauth.application(await microblog.app(access.app_id))


@router.get("/instance", summary="About this server", **operation(Instance))
async def instance(request: Request) -> dict[str, Any]:
    return {
        "uri": urlsplit(base_url(request)).netloc,
        "title": "microblog",
        "short_description": "A microblog whose feed engine is its edge.",
        "description": "A microblog whose feed engine is its edge.",
        "version": "4.0.0 (compatible; microblog)",
        "registrations": True,
        "urls": {"streaming_api": streaming_url(request)},
        "configuration": {"statuses": {"max_characters": rules.MAX_POST_CHARS}},
    }


def streaming_url(request: Request) -> str:
    """Where the streaming API is: this server, as a WebSocket origin (``ws``/``wss``)."""
    base = base_url(request)
    return "wss" + base[5:] if base.startswith("https") else "ws" + base.removeprefix("http")


v2 = APIRouter(
    prefix="/api/v2", tags=["api"], default_response_class=FastJSONResponse, dependencies=STORABLE
)


@v2.get("/instance", summary="About this server (Mastodon 4 shape)", **operation(InstanceV2))
async def instance_v2(request: Request) -> dict[str, Any]:
    return {
        "domain": urlsplit(base_url(request)).netloc,
        "title": "microblog",
        "version": "4.0.0 (compatible; microblog)",
        "source_url": "",
        "description": "A microblog whose feed engine is its edge.",
        "usage": {"users": {"active_month": 0}},
        "thumbnail": {"url": ""},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": streaming_url(request)},
            "accounts": {"max_featured_tags": 0},
            "statuses": {
                "max_characters": rules.MAX_POST_CHARS,
                "max_media_attachments": 0,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {"supported_mime_types": []},
            "polls": {"max_options": 0},
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": True, "approval_required": False, "message": None},
        "contact": {"email": "", "account": None},
        "rules": [],
    }
