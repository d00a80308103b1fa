"""Generated avatars: ``GET /avatars/{username}.svg`` (web/avatars.py), the pages that show
them and the Mastodon Account entity that points to them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import httpx
import pytest

from microblog.web import avatars
from microblog.web.headers import CONTENT_SECURITY_POLICY
from tests.api.helpers import auth, register
from tests.web.helpers import Visitor, article

SVG = "{http://www.w3.org/2000/svg}"
ONE_YEAR = 365 * 24 * 3600


def _max_age(cache_control: str) -> int:
    found = re.search(r"max-age=(\d+)", cache_control)
    assert found is not None, cache_control
    return int(found.group(1))


async def test_an_avatar_is_an_svg_of_computed_shapes_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/avatars/alice.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    # Rectangles and a group, with numbers and #rrggbb colours: nothing from the request.
    allowed = {"xmlns", "viewBox", "width", "height", "shape-rendering", "x", "y", "fill"}
    for element in root.iter():
        assert element.tag in {f"{SVG}svg", f"{SVG}g", f"{SVG}rect"}, element.tag
        assert set(element.attrib) <= allowed, element.attrib
        assert not (element.text or "").strip()
        fill = element.attrib.get("fill")
        assert fill is None or re.fullmatch(r"#[0-9a-f]{6}", fill), fill
    assert "alice" not in response.text
    assert len(root.findall(f"{SVG}g/{SVG}rect")) >= 1


async def test_the_same_name_the_same_picture_and_another_name_another(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/avatars/alice.svg")
    again = await client.get("/avatars/alice.svg")
    assert first.content == again.content
    assert first.text == avatars.identicon("alice")
    # Usernames are unique without regard to case: the same account, the same picture.
    assert (await client.get("/avatars/Alice.svg")).content == first.content
    assert (await client.get("/avatars/bob.svg")).content != first.content
    pictures = {avatars.identicon(f"user{n}") for n in range(1, 201)}
    assert len(pictures) == 200
    colours = {re.findall(r'fill="(#[0-9a-f]{6})"', svg)[1] for svg in pictures}
    assert len(colours) > 100


def test_the_picture_is_symmetric_and_never_blank() -> None:
    for name in ("a", "user1", "Z_9", "x" * 30):
        cells = {
            (int(x), int(y))
            for x, y in re.findall(r'<rect x="(\d+)" y="(\d+)" width', avatars.identicon(name))
        }
        assert cells
        mirror = avatars.SIZE - avatars.CELL
        assert {(mirror - x, y) for x, y in cells} == cells


async def test_avatars_are_cacheable_with_an_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/avatars/alice.svg")
    assert _max_age(response.headers["cache-control"]) >= ONE_YEAR
    assert "public" in response.headers["cache-control"]
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{20}"', etag)
    assert (await client.get("/avatars/bob.svg")).headers["etag"] != etag

    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get("/avatars/alice.svg", headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert _max_age(again.headers["cache-control"]) >= ONE_YEAR
    stale = await client.get("/avatars/alice.svg", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.content == response.content


async def test_the_security_headers_allow_the_pages_to_show_them(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/avatars/alice.svg")
    # Served as an image, never sniffed as something else, under the site's policy, which
    # lets the pages load images from the site itself.
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    img_src = re.search(r"img-src ([^;]+)", CONTENT_SECURITY_POLICY)
    assert img_src is not None and "'self'" in img_src.group(1).split()


async def test_any_username_shape_gets_one_without_an_account(client: httpx.AsyncClient) -> None:
    for name in ("nobody_here", "A", "x" * 30, "007"):
        response = await client.get(f"/avatars/{name}.svg")
        assert response.status_code == 200, name
        assert response.text == avatars.identicon(name)


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/no-dash.svg",
        "/avatars/" + "x" * 31 + ".svg",
        "/avatars/%00.svg",
        "/avatars/caf%C3%A9.svg",
        "/avatars/a%20b.svg",
        "/avatars/.svg",
        "/avatars/alice.png",
        "/avatars/alice",
        "/avatars/a.b.svg",
    ],
)
async def test_a_name_no_username_could_be_is_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404, (path, response.text)
    assert "image/svg+xml" not in response.headers.get("content-type", "")


async def test_the_pages_show_each_account_its_avatar(alice: Visitor, bob: Visitor) -> None:
    await bob.follow("alice")
    post_id = await alice.compose("Hello @bob")
    home = await alice.page("/")
    assert 'src="/avatars/alice.svg"' in article(home, post_id)
    profile = await alice.page("/@alice")
    assert 'class="avatar large" src="/avatars/alice.svg"' in profile
    followers = await alice.page("/@alice/followers")
    assert 'src="/avatars/bob.svg"' in followers
    notifications = await alice.page("/notifications")
    assert 'src="/avatars/bob.svg"' in notifications  # bob followed alice
    mentioned = await bob.page("/notifications")
    assert 'src="/avatars/alice.svg"' in mentioned
    # Every avatar a page shows is served.
    for name in set(re.findall(r'src="/avatars/(\w+)\.svg"', home + profile + followers)):
        assert (await alice.get(f"/avatars/{name}.svg")).status_code == 200


async def test_the_account_entity_points_to_the_avatar(client: httpx.AsyncClient) -> None:
    token, account_id = await register(client, "ada")
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))).json()
    assert me["avatar"] == "http://testserver/avatars/ada.svg"
    assert me["avatar_static"] == me["avatar"]
    public = (await client.get(f"/api/v1/accounts/{account_id}")).json()
    assert public["avatar"] == me["avatar"]
    response = await client.get(me["avatar"].removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response.text == avatars.identicon("ada")
