"""The benchmark's floor: ``GET /api/v1/bench/floor`` answers a fixed body of 20 statuses,
with no database and no authentication, through the same server, workers and middleware as
every other request. What the HTTP stack alone costs on a machine; the benchmark reports its
figures also as a share of it. Served only with ``MICROBLOG_BENCH_FLOOR`` on (the benchmark's
server), never by default.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from microblog.domain.models import Post, User
from microblog.web import mastodon

router = APIRouter(include_in_schema=False)
FLOOR_POSTS = 20
ORIGIN = "http://127.0.0.1"


@functools.cache
def body() -> bytes:
    """Twenty statuses as the home timeline sends them, made once."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    author = User(1, "floor", "", FLOOR_POSTS, 0, 0, moment, "The Floor")
    posts = [
        Post(i, author, f"post {i} of the floor's fixed page", None, None, None, 0, moment)
        for i in range(FLOOR_POSTS, 0, -1)
    ]
    return orjson.dumps([mastodon.status(p, ORIGIN) for p in posts])


@router.get("/api/v1/bench/floor")
async def floor() -> Response:
    return Response(body(), media_type="application/json")
