"""Generated avatars (SVG), one per account, made here with no external service.

``GET /avatars/{username}.svg`` answers an identicon: a 5 by 5 grid, mirrored left to right,
whose cells and colours come from the SHA-256 of the lower-cased username (usernames are
unique without regard to case, so ``@Ada`` and ``@ada`` get the same picture). It is a pure
function of the name: any name a username could be gets its picture without a database
lookup, and answers carry a long ``Cache-Control`` and an ``ETag`` (``If-None-Match`` gets a
304). A name no username could be is a 404.

The SVG holds only what is computed here (rectangle coordinates and ``#rrggbb`` colours),
never text from the request, so it carries no markup anyone else wrote; the site's
Content-Security-Policy (``web/headers.py``) allows images from the site itself.
"""

from __future__ import annotations

import colorsys
import hashlib
import re

from fastapi import APIRouter, Request, Response

from microblog.domain.errors import NotFound

router = APIRouter(include_in_schema=False)

GRID = 5
CELL = 12
PAD = 6
SIZE = GRID * CELL + 2 * PAD
MAX_AGE = 365 * 24 * 3600
DRAWING = "identicon-1"
"""Names the drawing below; part of every ETag, so a new drawing is a new ETag."""
MEDIA_TYPE = "image/svg+xml"
# The shape of a username (rules.username); checked here without a database lookup.
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,30}")


def url(base_url: str, username: str) -> str:
    """Where an account's avatar is (``base_url`` "" for a path on this site)."""
    return f"{base_url}/avatars/{username}.svg"


def _colour(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (red, green, blue))


def identicon(username: str) -> str:
    """The SVG of a username's identicon."""
    digest = hashlib.sha256(f"microblog-avatar:{username.lower()}".encode()).digest()
    hue = int.from_bytes(digest[:2]) / 65536
    ink = _colour(hue, 0.42 + digest[2] / 255 * 0.12, 0.45 + digest[3] / 255 * 0.25)
    paper = _colour(hue, 0.93, 0.4)
    half = (GRID + 1) // 2
    bits = int.from_bytes(digest[4:8]) & ((1 << (GRID * half)) - 1)
    if not bits:
        bits = 1 << (GRID // 2 * half + half - 1)  # never blank: the middle cell
    rects = []
    for row in range(GRID):
        for col in range(half):
            if bits >> (row * half + col) & 1:
                for x in sorted({col, GRID - 1 - col}):
                    rects.append(
                        f'<rect x="{PAD + x * CELL}" y="{PAD + row * CELL}" '
                        f'width="{CELL}" height="{CELL}"/>'
                    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'width="{SIZE}" height="{SIZE}" shape-rendering="crispEdges">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{paper}"/>'
        f'<g fill="{ink}">{"".join(rects)}</g></svg>'
    )


def _etag(svg: str) -> str:
    return '"' + hashlib.sha256(f"{DRAWING}\n{svg}".encode()).hexdigest()[:20] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get("/avatars/{username}.svg")
async def avatar(username: str, request: Request) -> Response:
    """A username's identicon (see the module); 404 for a name no username could be."""
    if not _USERNAME.fullmatch(username):
        raise NotFound("No such avatar")
    svg = identicon(username)
    etag = _etag(svg)
    headers = {"Cache-Control": f"public, max-age={MAX_AGE}", "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(svg, media_type=MEDIA_TYPE, headers=headers)
