"""The social half of the JSON API under /api/v1: favourites, boosts, bookmarks, blocks,
mutes, notifications and the notifications marker, shaped like Mastodon's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from microblog.domain import rules
from microblog.domain.errors import Invalid
from microblog.domain.models import Post, User, Visibility
from microblog.social import Listing
from microblog.web import mastodon, params
from microblog.web.api import STORABLE, base_url, relationship_to
from microblog.web.deps import MicroblogDep, maybe_scoped, scoped
from microblog.web.jsonresponse import FastJSONResponse
from microblog.web.openapi import (
    ACCOUNT_ROW_PAGING,
    MARKER,
    MARKER_TIMELINES,
    MUTE,
    NOTIFICATION_PAGING,
    REBLOG,
    ROW_PAGING,
    Account,
    AccountId,
    ConversationEntity,
    Empty,
    Markers,
    Notification,
    Relationship,
    Status,
    StatusId,
    UnreadCount,
    operation,
)

router = APIRouter(
    prefix="/api/v1", tags=["api"], default_response_class=FastJSONResponse, dependencies=STORABLE
)


def _id(raw: str, name: str = "id") -> int:
    return rules.object_id(raw, name)


def _next_link(request: Request, cursor: int | None, limit: int) -> str | None:
    if cursor is None:
        return None
    query = urlencode({"limit": limit, "max_id": cursor})
    return f'<{base_url(request)}{request.url.path}?{query}>; rel="next"'


def _listed(request: Request, body: list[Any], cursor: int | None, limit: int) -> FastJSONResponse:
    response = FastJSONResponse(body)
    link = _next_link(request, cursor, limit)
    if link:
        response.headers["Link"] = link
    return response


def _accounts(request: Request, rows: list[tuple[int, User]], limit: int) -> FastJSONResponse:
    base = base_url(request)
    cursor = rows[-1][0] if len(rows) == limit else None
    return _listed(request, [mastodon.account(u, base) for _, u in rows], cursor, limit)


def _statuses(request: Request, listing: Listing, limit: int) -> FastJSONResponse:
    base = base_url(request)
    body = [mastodon.status(p, base) for p in listing.items]
    return _listed(request, body, listing.next_max_id, limit)


# Favourites, boosts, bookmarks -------------------------------------------------------------

Verb = Callable[[int, int], Awaitable[Post]]


async def _status_verb(request: Request, verb: Verb, user: User, status_id: str) -> dict[str, Any]:
    post = await verb(user.id, _id(status_id))
    return mastodon.status(post, base_url(request))


def _status_route(path: str, summary: str, verb_name: str, scope: str) -> None:
    async def endpoint(
        request: Request, status_id: StatusId, user: User, microblog: MicroblogDep
    ) -> dict[str, Any]:
        return await _status_verb(request, getattr(microblog, verb_name), user, status_id)

    # The scope differs per route; annotations are strings here (``from __future__``), which
    # FastAPI resolves in the module's globals, so the dependency is set as an object.
    endpoint.__annotations__["user"] = Annotated[User, scoped(scope)]
    endpoint.__name__ = verb_name
    router.post(
        f"/statuses/{{status_id}}/{path}",
        summary=summary,
        **operation(Status, 403, 404, auth="required"),
    )(endpoint)


_status_route("favourite", "Favourite a status (again is fine)", "favourite", "write:favourites")
_status_route("unfavourite", "Undo a favourite", "unfavourite", "write:favourites")
_status_route("unreblog", "Undo a boost; returns the boosted status", "unreblog", "write:statuses")
_status_route("bookmark", "Bookmark a status (again is fine)", "bookmark", "write:bookmarks")
_status_route("unbookmark", "Remove a bookmark", "unbookmark", "write:bookmarks")


@router.post(
    "/statuses/{status_id}/reblog",
    summary="Boost a public or unlisted status (or one's own private one); returns the boost "
    "(again is fine)",
    **operation(Status, 403, 404, auth="required", request_body=REBLOG),
)
async def reblog(
    request: Request,
    status_id: StatusId,
    user: Annotated[User, scoped("write:statuses")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    # A boost takes its post's visibility. Mastodon's `visibility` option can only narrow
    # it: public and unlisted are the same for a boost (no public timeline lists boosts);
    # private (followers only) is served only where the post is private already.
    visibility = (await params.body(request)).get("visibility")
    target = _id(status_id)
    if visibility not in (None, ""):
        wanted = rules.visibility(visibility)
        if wanted is Visibility.DIRECT:
            raise Invalid("visibility: a boost can't be direct", "visibility")
        if wanted is Visibility.PRIVATE:
            shown = (await microblog.post(target, user.id)).shown
            if shown.visibility is not Visibility.PRIVATE:
                raise Invalid(
                    "visibility: boosts to followers only are not served yet; a boost takes "
                    "the boosted status's visibility",
                    "visibility",
                )
    return await _status_verb(request, microblog.reblog, user, status_id)


Who = Callable[[int | None, int, int | None, int], Awaitable[list[tuple[int, User]]]]


async def _who(request: Request, rows: Who, user: User | None, status_id: str) -> FastJSONResponse:
    """Accounts that acted on a status the caller may see, paged by the action's id."""
    limit = params.limit(request, 40, 80)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    reader = None if user is None else user.id
    return _accounts(request, await rows(reader, _id(status_id), max_id, limit), limit)


@router.get(
    "/statuses/{status_id}/favourited_by",
    summary="Accounts that favourited a status",
    **operation(list[Account], 404, auth="optional", params=ACCOUNT_ROW_PAGING, paged=True),
)
async def favourited_by(
    request: Request,
    status_id: StatusId,
    user: Annotated[User | None, maybe_scoped("read:accounts")],
    microblog: MicroblogDep,
) -> FastJSONResponse:
    return await _who(request, microblog.favourited_by, user, status_id)


@router.get(
    "/statuses/{status_id}/reblogged_by",
    summary="Accounts that boosted a status",
    **operation(list[Account], 404, auth="optional", params=ACCOUNT_ROW_PAGING, paged=True),
)
async def reblogged_by(
    request: Request,
    status_id: StatusId,
    user: Annotated[User | None, maybe_scoped("read:accounts")],
    microblog: MicroblogDep,
) -> FastJSONResponse:
    return await _who(request, microblog.reblogged_by, user, status_id)


@router.get(
    "/favourites",
    summary="The caller's favourites, newest first",
    **operation(list[Status], auth="required", params=ROW_PAGING, paged=True),
)
async def favourites(
    request: Request, user: Annotated[User, scoped("read:favourites")], microblog: MicroblogDep
) -> FastJSONResponse:
    limit = params.limit(request)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    return _statuses(request, await microblog.favourites(user.id, max_id, limit), limit)


@router.get(
    "/bookmarks",
    summary="The caller's bookmarks, newest first",
    **operation(list[Status], auth="required", params=ROW_PAGING, paged=True),
)
async def bookmarks(
    request: Request, user: Annotated[User, scoped("read:bookmarks")], microblog: MicroblogDep
) -> FastJSONResponse:
    limit = params.limit(request)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    return _statuses(request, await microblog.bookmarks(user.id, max_id, limit), limit)


@router.get(
    "/conversations",
    summary="The caller's direct posts, one conversation each, newest first",
    **operation(list[ConversationEntity], auth="required", params=ROW_PAGING, paged=True),
)
async def conversations(
    request: Request, user: Annotated[User, scoped("read:statuses")], microblog: MicroblogDep
) -> FastJSONResponse:
    limit = params.limit(request)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    found, cursor = await microblog.conversations(user.id, max_id, limit)
    base = base_url(request)
    return _listed(request, [mastodon.conversation(c, base) for c in found], cursor, limit)


# Blocks and mutes ---------------------------------------------------------------------------


@router.post(
    "/accounts/{account_id}/block",
    summary="Block an account: follows both ways end; each stops seeing the other",
    **operation(Relationship, 404, auth="required"),
)
async def block(
    account_id: AccountId, user: Annotated[User, scoped("write:blocks")], microblog: MicroblogDep
) -> dict[str, Any]:
    target = _id(account_id)
    await microblog.block(user.id, target)
    return await relationship_to(microblog, user, target)


@router.post(
    "/accounts/{account_id}/unblock",
    summary="Lift a block",
    **operation(Relationship, 404, auth="required"),
)
async def unblock(
    account_id: AccountId, user: Annotated[User, scoped("write:blocks")], microblog: MicroblogDep
) -> dict[str, Any]:
    target = _id(account_id)
    await microblog.unblock(user.id, target)
    return await relationship_to(microblog, user, target)


@router.post(
    "/accounts/{account_id}/mute",
    summary="Mute an account: its posts and boosts leave the home feed (and notifications)",
    **operation(Relationship, 404, auth="required", request_body=MUTE),
)
async def mute(
    request: Request,
    account_id: AccountId,
    user: Annotated[User, scoped("write:mutes")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    values = await params.body(request)
    duration = values.get("duration")
    if duration not in (None, "", 0, "0"):
        raise Invalid("duration: timed mutes are not served; 0 mutes for good", "duration")
    target = _id(account_id)
    await microblog.mute(user.id, target, _flag(values.get("notifications"), default=True))
    return await relationship_to(microblog, user, target)


# What Rails (so Mastodon) reads as false; absent or empty is the default.
FALSE_VALUES = {"false", "0", "f", "off"}


def _flag(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_VALUES
    return bool(value)


@router.post(
    "/accounts/{account_id}/unmute",
    summary="Lift a mute",
    **operation(Relationship, 404, auth="required"),
)
async def unmute(
    account_id: AccountId, user: Annotated[User, scoped("write:mutes")], microblog: MicroblogDep
) -> dict[str, Any]:
    target = _id(account_id)
    await microblog.unmute(user.id, target)
    return await relationship_to(microblog, user, target)


@router.get(
    "/blocks",
    summary="Accounts the caller blocks, newest block first",
    **operation(list[Account], auth="required", params=ACCOUNT_ROW_PAGING, paged=True),
)
async def blocks(
    request: Request, user: Annotated[User, scoped("read:blocks")], microblog: MicroblogDep
) -> FastJSONResponse:
    limit = params.limit(request, 40, 80)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    return _accounts(request, await microblog.blocked(user.id, max_id, limit), limit)


@router.get(
    "/mutes",
    summary="Accounts the caller mutes, newest mute first",
    **operation(list[Account], auth="required", params=ACCOUNT_ROW_PAGING, paged=True),
)
async def mutes(
    request: Request, user: Annotated[User, scoped("read:mutes")], microblog: MicroblogDep
) -> FastJSONResponse:
    limit = params.limit(request, 40, 80)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    return _accounts(request, await microblog.muted(user.id, max_id, limit), limit)


# Notifications ------------------------------------------------------------------------------


@router.get(
    "/notifications",
    summary="The caller's notifications, newest first",
    **operation(list[Notification], auth="required", params=NOTIFICATION_PAGING, paged=True),
)
async def notifications(
    request: Request, user: Annotated[User, scoped("read:notifications")], microblog: MicroblogDep
) -> FastJSONResponse:
    window, limit = params.window(request), params.limit(request, 40, 80)
    query = request.query_params
    if query.get("account_id"):
        # Ignoring it would answer everyone's notifications as if they were that account's.
        raise Invalid("account_id: notifications from one account are not served yet", "account_id")
    # An empty value (``types[]=``) names no type.
    types = [t for t in query.getlist("types[]") + query.getlist("types") if t]
    exclude = [t for t in query.getlist("exclude_types[]") + query.getlist("exclude_types") if t]
    # One more than asked: whether an older page exists.
    found = await microblog.notifications(user.id, window, limit + 1, types, exclude)
    more = len(found) > limit
    page = found[:limit] if not window.oldest_first else found[-limit:]
    base = base_url(request)
    response = FastJSONResponse([mastodon.notification(n, base) for n in page])
    kept = {"limit": limit, "types[]": types, "exclude_types[]": exclude}
    url = f"{base}{request.url.path}"
    links = []
    if page and (more or window.oldest_first):
        older = urlencode({**kept, "max_id": page[-1].notification.id}, doseq=True)
        links.append(f'<{url}?{older}>; rel="next"')
    if page:
        newer = urlencode({**kept, "min_id": page[0].notification.id}, doseq=True)
        links.append(f'<{url}?{newer}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


@router.get(
    "/notifications/unread_count",
    summary="How many notifications are newer than the notifications marker",
    **operation(UnreadCount, auth="required"),
)
async def unread_count(
    user: Annotated[User, scoped("read:notifications")], microblog: MicroblogDep
) -> dict[str, Any]:
    return {"count": await microblog.unread_notifications(user.id)}


@router.post(
    "/notifications/clear",
    summary="Delete every notification of the caller's",
    **operation(Empty, auth="required"),
)
async def clear(
    user: Annotated[User, scoped("write:notifications")], microblog: MicroblogDep
) -> dict[str, Any]:
    await microblog.clear_notifications(user.id)
    return {}


@router.get(
    "/notifications/{notification_id}",
    summary="One notification",
    **operation(Notification, 404, auth="required"),
)
async def notification(
    request: Request,
    notification_id: StatusId,
    user: Annotated[User, scoped("read:notifications")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    shown = await microblog.notification(user.id, _id(notification_id))
    return mastodon.notification(shown, base_url(request))


@router.post(
    "/notifications/{notification_id}/dismiss",
    summary="Delete one notification",
    **operation(Empty, 404, auth="required"),
)
async def dismiss(
    notification_id: StatusId,
    user: Annotated[User, scoped("write:notifications")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    await microblog.dismiss_notification(user.id, _id(notification_id))
    return {}


def _markers(found: Mapping[str, int], asked: Sequence[str]) -> dict[str, Any]:
    now = mastodon.iso_now()
    return {
        name: {"last_read_id": str(value), "version": 0, "updated_at": now}
        for name, value in found.items()
        if not asked or name in asked
    }


@router.get(
    "/markers",
    summary="Where the caller stopped reading the home timeline and notifications",
    **operation(Markers, auth="required", params=MARKER_TIMELINES),
)
async def markers(
    request: Request, user: Annotated[User, scoped("read:statuses")], microblog: MicroblogDep
) -> dict[str, Any]:
    asked = request.query_params.getlist("timeline[]") + request.query_params.getlist("timeline")
    return _markers(await microblog.set_markers(user.id, {}), asked)


@router.post(
    "/markers",
    summary="Move the home and notifications markers (forward only)",
    **operation(Markers, auth="required", request_body=MARKER),
)
async def set_marker(
    request: Request, user: Annotated[User, scoped("write:statuses")], microblog: MicroblogDep
) -> dict[str, Any]:
    values = await params.body(request)
    upto: dict[str, int] = {}
    for timeline in ("home", "notifications"):
        nested = values.get(timeline)
        raw = nested.get("last_read_id") if isinstance(nested, dict) else None
        raw = raw or values.get(f"{timeline}[last_read_id]")
        if raw not in (None, ""):
            upto[timeline] = _id(str(raw), f"{timeline}[last_read_id]")
    if not upto:
        raise Invalid("home[last_read_id] or notifications[last_read_id] is required")
    return _markers(await microblog.set_markers(user.id, upto), list(upto))
