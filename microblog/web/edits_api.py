"""Editing statuses, as Mastodon's API does: ``PUT /api/v1/statuses/:id``, its history and
its source (the service's ``EditVerbs``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from microblog.domain import rules
from microblog.domain.models import User
from microblog.web import mastodon, params
from microblog.web.api import STORABLE, base_url
from microblog.web.deps import MicroblogDep, maybe_scoped, scoped
from microblog.web.jsonresponse import FastJSONResponse
from microblog.web.openapi import EDIT, Status, StatusEdit, StatusId, StatusSource, operation
from microblog.web.ratelimit import limiter

router = APIRouter(
    prefix="/api/v1", tags=["api"], default_response_class=FastJSONResponse, dependencies=STORABLE
)


@router.put(
    "/statuses/{status_id}",
    summary="Edit one's own status (text, content warning, sensitive)",
    **operation(Status, 403, 404, auth="required", request_body=EDIT),
)
async def edit_status(
    request: Request,
    status_id: StatusId,
    user: Annotated[User, scoped("write:statuses")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    values = await params.body(request)
    rules.only_served_options(values)
    post_id = rules.object_id(status_id, "id")
    await limiter(request).post(user.id)
    post = await microblog.edit_post(
        user.id,
        post_id,
        values.get("status"),
        spoiler_text=values.get("spoiler_text"),
        sensitive=values.get("sensitive"),
    )
    return mastodon.status(post, base_url(request))


@router.get(
    "/statuses/{status_id}/history",
    summary="A status's versions, oldest first (the current one last)",
    **operation(list[StatusEdit], 404, auth="optional"),
)
async def status_history(
    request: Request,
    status_id: StatusId,
    user: Annotated[User | None, maybe_scoped("read:statuses")],
    microblog: MicroblogDep,
) -> list[dict[str, Any]]:
    reader = None if user is None else user.id
    post, versions = await microblog.post_history(rules.object_id(status_id, "id"), reader)
    base = base_url(request)
    shown = [
        mastodon.status_edit(post, v.content, v.spoiler_text, v.sensitive, v.created_at, base)
        for v in versions
    ]
    current = post.edited_at or post.created_at
    shown.append(
        mastodon.status_edit(post, post.content, post.spoiler_text, post.sensitive, current, base)
    )
    return shown


@router.get(
    "/statuses/{status_id}/source",
    summary="A status's text as typed, to edit it",
    **operation(StatusSource, 404, auth="required"),
)
async def status_source(
    status_id: StatusId,
    user: Annotated[User, scoped("read:statuses")],
    microblog: MicroblogDep,
) -> dict[str, Any]:
    post = await microblog.post(rules.object_id(status_id, "id"), user.id)
    return {"id": str(post.id), "text": post.content, "spoiler_text": post.spoiler_text}
