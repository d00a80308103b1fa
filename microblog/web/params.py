"""Reading request parameters the way Mastodon does: query string, form or JSON body."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from microblog.domain import rules
from microblog.domain.errors import Invalid, MicroblogError
from microblog.domain.types import Window


class BadRequest(MicroblogError):
    """The request body cannot be read at all."""

    status = 400


async def body(request: Request) -> dict[str, Any]:
    """Parameters from the query string, overridden by a form or JSON body."""
    try:
        return await _body(request)
    except ClientDisconnect as exc:  # the client left mid-request: nobody to answer, no alarm
        raise BadRequest("The client disconnected") from exc


async def _body(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raw = await request.body()  # at most MICROBLOG_MAX_BODY_BYTES (web/bodylimit.py)
        if raw.strip():
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                raise BadRequest(f"Malformed JSON body: {str(exc)[:200]}") from exc
            if not isinstance(data, dict):
                raise BadRequest("The JSON body must be an object")
            values.update(data)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return values


def window(request: Request) -> Window:
    """The feed window of Mastodon's ``max_id`` / ``since_id`` / ``min_id`` parameters."""
    query = request.query_params
    max_id = rules.optional_id(query.get("max_id"), "max_id")
    since_id = rules.optional_id(query.get("since_id"), "since_id")
    min_id = rules.optional_id(query.get("min_id"), "min_id")
    below = max_id if max_id is not None else rules.MAX_ID
    if min_id is not None:
        return Window(above=min_id, below=below, oldest_first=True)
    return Window(above=since_id or 0, below=below)


def limit(request: Request, default: int = 20, maximum: int = 40) -> int:
    """Mastodon's ``limit``: default 20, at most 40."""
    return rules.limit(request.query_params.get("limit"), default, maximum)


FLAGS = {"true": True, "1": True, "on": True, "yes": True, "false": False, "0": False}
FLAGS |= {"off": False, "no": False, "": False}


def flag(request: Request, name: str) -> bool:
    """A boolean query parameter (Mastodon's ``true``/``false``; absent is false)."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    value = FLAGS.get(raw.strip().lower())
    if value is None:
        raise Invalid(f"{name} must be true or false", name)
    return value


def optional_text(values: dict[str, Any], name: str) -> str | None:
    """A text parameter, or None when absent."""
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{name} must be text", name)
    return rules.storable(value, name)


async def storable_parameters(request: Request) -> None:
    """Refuse (422) a request whose query string or path holds a character no text may hold
    (``rules.storable``): a dependency of every router, so no handler, page or lookup sees one.
    """
    for name, value in request.query_params.multi_items():
        rules.storable(name, name, "A query parameter's name")
        rules.storable(value, name)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            rules.storable(value, name)
