"""What a Mastodon client calls on start: preferences, custom emojis, filters, rules,
announcements, followed tags, lists, trends, and nodeinfo (what other servers and directories
read about this one).

The server keeps none of the things most of these list (no custom emojis, filters, lists,
announcements, rules or trends), so their answers are empty lists, well-formed: clients such
as toot, Tusky or Mastodon.py call them when they start and stop at a 404. Each still asks
for the scope Mastodon asks for, so a token's scopes are checked here as everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from microblog import __version__
from microblog.domain.models import User
from microblog.web.api import STORABLE, base_url
from microblog.web.deps import MicroblogDep, scoped
from microblog.web.jsonresponse import FastJSONResponse
from microblog.web.openapi import (
    Announcement,
    CustomEmoji,
    Filter,
    FilterV2,
    Preferences,
    PreviewCard,
    Rule,
    Status,
    Tag,
    UserList,
    operation,
)

router = APIRouter(tags=["api"], default_response_class=FastJSONResponse, dependencies=STORABLE)

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.0"

# A user's token, with the scope each endpoint needs: 401 without one, 403 without the scope.
AUTH_ERRORS = (403,)


# The caller's settings ---------------------------------------------------------------------


@router.get(
    "/api/v1/preferences",
    summary="The caller's preferences (the server's defaults: they are not kept per account)",
    **operation(Preferences, *AUTH_ERRORS, auth="required"),
)
async def preferences(_user: Annotated[User, scoped("read:accounts")]) -> dict[str, Any]:
    return {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


@router.get(
    "/api/v1/filters",
    summary="The caller's keyword filters (v1; none are kept)",
    **operation(list[Filter], *AUTH_ERRORS, auth="required"),
)
async def filters_v1(_user: Annotated[User, scoped("read:filters")]) -> list[Any]:
    return []


@router.get(
    "/api/v2/filters",
    summary="The caller's filters (v2; none are kept)",
    **operation(list[FilterV2], *AUTH_ERRORS, auth="required"),
)
async def filters_v2(_user: Annotated[User, scoped("read:filters")]) -> list[Any]:
    return []


@router.get(
    "/api/v1/lists",
    summary="The caller's lists of accounts (lists are not served: none)",
    **operation(list[UserList], *AUTH_ERRORS, auth="required"),
)
async def lists(_user: Annotated[User, scoped("read:lists")]) -> list[Any]:
    return []


@router.get(
    "/api/v1/followed_tags",
    summary="The hashtags the caller follows (following hashtags is not served: none)",
    **operation(list[Tag], *AUTH_ERRORS, auth="required"),
)
async def followed_tags(_user: Annotated[User, scoped("read:follows")]) -> list[Any]:
    return []


@router.get(
    "/api/v1/announcements",
    summary="The server's announcements (it makes none)",
    **operation(list[Announcement], *AUTH_ERRORS, auth="required"),
)
async def announcements(_user: Annotated[User, scoped("read")]) -> list[Any]:
    return []


# About the server (anyone may ask) ---------------------------------------------------------


@router.get(
    "/api/v1/custom_emojis",
    summary="The server's custom emojis (none)",
    **operation(list[CustomEmoji]),
)
async def custom_emojis() -> list[Any]:
    return []


@router.get(
    "/api/v1/instance/rules",
    summary="The server's rules (none are listed)",
    **operation(list[Rule]),
)
async def instance_rules() -> list[Any]:
    return []


@router.get("/api/v1/trends", summary="Trending hashtags (none)", **operation(list[Tag]))
@router.get("/api/v1/trends/tags", summary="Trending hashtags (none)", **operation(list[Tag]))
async def trending_tags() -> list[Any]:
    return []


@router.get(
    "/api/v1/trends/statuses", summary="Trending statuses (none)", **operation(list[Status])
)
async def trending_statuses() -> list[Any]:
    return []


@router.get("/api/v1/trends/links", summary="Trending links (none)", **operation(list[PreviewCard]))
async def trending_links() -> list[Any]:
    return []


# Nodeinfo (outside the client API: not in its OpenAPI document) ---------------------------


@router.get("/.well-known/nodeinfo", include_in_schema=False)
async def nodeinfo_links(request: Request) -> dict[str, Any]:
    """Where this server's nodeinfo documents are (only schema 2.0)."""
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{base_url(request)}/nodeinfo/2.0"}]}


@router.get("/nodeinfo/2.0", include_in_schema=False)
async def nodeinfo(microblog: MicroblogDep) -> dict[str, Any]:
    """The nodeinfo 2.0 document: software, usage, open registrations. ``protocols`` is
    empty: this server does not federate."""
    usage = await microblog.site_usage()
    return {
        "version": "2.0",
        "software": {"name": "microblog", "version": __version__},
        "protocols": [],
        "services": {"inbound": [], "outbound": []},
        "usage": {
            "users": {
                "total": usage.users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.posts,
        },
        "openRegistrations": True,
        "metadata": {},
    }
