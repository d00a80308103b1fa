"""Search and hashtag timelines: /api/v2/search, /api/v1/accounts/search, /api/v1/timelines/tag,
/api/v1/tags (Mastodon's shapes)."""

from __future__ import annotations

from typing import Annotated, Any, get_args
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request

from microblog.domain import rules
from microblog.domain.errors import Invalid
from microblog.domain.models import Page, User
from microblog.domain.types import Window
from microblog.search import SEARCH_TYPES, Hashtag, SearchType
from microblog.web import mastodon, params
from microblog.web.api import STORABLE, base_url
from microblog.web.deps import MicroblogDep, maybe_scoped
from microblog.web.jsonresponse import FastJSONResponse
from microblog.web.openapi import (
    ACCOUNT_SEARCH,
    MAX_SEARCH_OFFSET,
    SEARCH,
    TAG_TIMELINE,
    Account,
    HashtagName,
    Search,
    Status,
    Tag,
    operation,
)

router = APIRouter(tags=["api"], default_response_class=FastJSONResponse, dependencies=STORABLE)
# The parameters a tag timeline's Link headers carry on, besides the cursor.
ACCOUNTS_ONLY: tuple[SearchType, ...] = ("accounts",)
KEPT_IN_LINKS = ("limit", "any[]", "all[]", "none[]", "local", "remote", "only_media")


def tag(found: Hashtag, base: str) -> dict[str, Any]:
    """A Mastodon Tag (no usage history is kept; tags can't be followed here)."""
    return {
        "id": found.name,
        "name": found.name,
        "url": mastodon.tag_url(found.name, base),
        "history": [],
        "following": False,
    }


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "").strip()
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) > MAX_SEARCH_OFFSET:
        raise Invalid(f"offset must be a whole number from 0 to {MAX_SEARCH_OFFSET}", "offset")
    return int(raw)


def _types(request: Request) -> tuple[SearchType, ...]:
    raw = request.query_params.get("type", "").strip()
    if not raw:
        return SEARCH_TYPES
    for known in get_args(SearchType):
        if raw == known:
            return (known,)
    raise Invalid("type must be accounts, statuses or hashtags", "type")


def _window(request: Request) -> Window:
    """Search's ``max_id`` and ``min_id``: bounds on the statuses' ids (not a page's end)."""
    query = request.query_params
    max_id = rules.optional_id(query.get("max_id"), "max_id")
    min_id = rules.optional_id(query.get("min_id"), "min_id")
    return Window(above=min_id or 0, below=rules.MAX_ID if max_id is None else max_id)


@router.get(
    "/api/v2/search",
    summary="Search accounts, statuses (with a token) and hashtags",
    **operation(Search, auth="optional", params=SEARCH),
)
async def search_v2(
    request: Request,
    user: Annotated[User | None, maybe_scoped("read:search")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    # ``resolve`` fetches nothing (nothing federates here); it is checked, then ignored.
    params.flag(request, "resolve")
    found = await microblog.search(
        None if user is None else user.id,
        request.query_params.get("q"),
        base_url(request),
        types=_types(request),
        limit=params.limit(request),
        offset=_offset(request),
        following=params.flag(request, "following"),
        account_id=rules.optional_id(request.query_params.get("account_id"), "account_id"),
        window=_window(request),
    )
    base = base_url(request)
    return {
        "accounts": [mastodon.account(u, base) for u in found.accounts],
        "statuses": [mastodon.status(p, base) for p in found.statuses],
        "hashtags": [tag(h, base) for h in found.hashtags],
    }


@router.get(
    "/api/v1/accounts/search",
    summary="Search accounts by username or display name",
    **operation(list[Account], auth="optional", params=ACCOUNT_SEARCH),
)
async def account_search(
    request: Request,
    user: Annotated[User | None, maybe_scoped("read:accounts")],
    microblog: MicroblogDep,
) -> list[dict[str, Any]]:
    params.flag(request, "resolve")
    found = await microblog.search(
        None if user is None else user.id,
        request.query_params.get("q"),
        base_url(request),
        types=ACCOUNTS_ONLY,
        limit=params.limit(request, 40, 80),
        offset=_offset(request),
        following=params.flag(request, "following"),
    )
    base = base_url(request)
    return [mastodon.account(u, base) for u in found.accounts]


def _tag_list(request: Request, name: str) -> list[str]:
    """A list parameter as Mastodon clients send it: ``any[]=a&any[]=b`` (or ``any=a``)."""
    query = request.query_params
    return query.getlist(f"{name}[]") + query.getlist(name)


@router.get(
    "/api/v1/timelines/tag/{hashtag}",
    summary="The public statuses carrying a hashtag",
    **operation(list[Status], 404, auth="optional", params=TAG_TIMELINE, paged=True),
)
async def tag_timeline(
    request: Request,
    hashtag: HashtagName,
    user: Annotated[User | None, maybe_scoped("read:statuses")],
    microblog: MicroblogDep,
) -> FastJSONResponse:
    window, limit = params.window(request), params.limit(request)
    params.flag(request, "local")  # every post here is local
    if params.flag(request, "remote") or params.flag(request, "only_media"):
        await microblog.hashtag(hashtag)  # 404 for a name that is no hashtag
        return _page_response(request, hashtag, Page([], None))  # none here: all truly empty
    page = await microblog.tag_timeline(
        None if user is None else user.id,
        hashtag,
        window,
        limit,
        any_of=_tag_list(request, "any"),
        all_of=_tag_list(request, "all"),
        none_of=_tag_list(request, "none"),
    )
    return _page_response(request, hashtag, page)


def _page_response(request: Request, hashtag: str, page: Page) -> FastJSONResponse:
    """Statuses with Mastodon's ``Link`` header: ``next`` (older, only when there are) and
    ``prev`` (newer), carrying the filters on."""
    base = base_url(request)
    response = FastJSONResponse([mastodon.status(p, base) for p in page.posts])
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in KEPT_IN_LINKS]
    url = f"{base}/api/v1/timelines/tag/{quote(hashtag, safe='')}"
    links = []
    if page.next_cursor is not None:
        links.append(f'<{url}?{urlencode([*kept, ("max_id", page.next_cursor)])}>; rel="next"')
    if page.posts:
        links.append(f'<{url}?{urlencode([*kept, ("min_id", page.posts[0].id)])}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


@router.get(
    "/api/v1/tags/{name}",
    summary="A hashtag (any well-formed name; 404 for one that is not)",
    **operation(Tag, 404, auth="optional"),
)
async def get_tag(
    request: Request,
    name: HashtagName,
    _reader: Annotated[User | None, maybe_scoped("read:follows")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    return tag(await microblog.hashtag(name), base_url(request))
