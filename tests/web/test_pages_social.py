"""The social layer in the pages: visibility in the compose box and on posts, mentions as
links, boosts shown as boosts, favourite / boost / bookmark buttons (plain forms, and htmx
swapping the post in place), block and mute on profiles, notifications with their unread
count in the top bar, and the favourites and bookmarks pages."""

from __future__ import annotations

import html
import re

import pytest
from fastapi import FastAPI

from microblog.domain.types import Window
from microblog.service import Microblog
from tests.web.conftest import NewVisitor
from tests.web.helpers import (
    CSRF_MESSAGE,
    Visitor,
    article,
    contents,
    flash,
    is_full_page,
    post_ids,
    textareas,
    visible_text,
)

ACTION = re.compile(
    r'<form class="inline action" method="post" action="/posts/(\d+)/(\w+)".*?'
    r'<button type="submit" class="link \w+">(.*?)</button>',
    re.S,
)
BADGE = re.compile(r'<span class="badge" id="unread-badge"[^>]*>(\d+)</span>')
NOTIFICATION = re.compile(r'<li class="notification card kind-(\w+)" id="notification-(\d+)">')
WHAT = re.compile(r'<div class="what">(.*?)</div>', re.S)


def blog_of(app: FastAPI) -> Microblog:
    microblog: Microblog = app.state.runtime.microblog
    return microblog


def buttons(fragment: str) -> dict[str, str]:
    """The action buttons of one rendered post: verb → label with its count."""
    found = {}
    for match in ACTION.finditer(fragment):
        label = re.sub(r"<[^>]+>", "", match.group(3))
        found[match.group(2)] = re.sub(r"\s+", " ", label).strip()
    return found


def badge(page: str) -> int | None:
    """The unread count in the top bar, or None without one."""
    found = BADGE.search(page)
    return int(found.group(1)) if found else None


def notifications(page: str) -> list[str]:
    """What each notification says ("@bob followed you"), newest first."""
    found = []
    for what in WHAT.findall(page):
        what = re.sub(r'<span class="when".*?</span>|<form.*?</form>', "", what, flags=re.S)
        found.append(visible_text(what))
    return found


async def compose(who: Visitor, text: str, visibility: str, parent: int | None = None) -> int:
    data = {"content": text, "visibility": visibility}
    if parent is not None:
        data["parent_id"] = str(parent)
    response = await who.post("/posts", data, htmx=True)
    assert response.status_code == 200, response.text
    (post_id,) = post_ids(response.text)
    return post_id


@pytest.fixture
async def carol(new_visitor: NewVisitor) -> Visitor:
    someone = await new_visitor()
    await someone.sign_up("carol")
    return someone


# Visibility and mentions -------------------------------------------------------------------


async def test_the_compose_box_offers_each_visibility_public_first(alice: Visitor) -> None:
    page = await alice.page("/")
    select = re.search(r'<select id="visibility-new" name="visibility">(.*?)</select>', page, re.S)
    assert select is not None
    options = re.findall(r'<option value="(\w+)"( selected)?>([^<]+)</option>', select.group(1))
    assert options == [
        ("public", " selected", "Public"),
        ("unlisted", "", "Unlisted"),
        ("private", "", "Followers only"),
        ("direct", "", "Mentioned people only"),
    ]
    assert '<label class="visibility-choice" for="visibility-new">' in page
    # A reply starts with the visibility of what it answers.
    secret = await compose(alice, "for followers", "private")
    reply_form = await alice.page(f"/posts/{secret}")
    assert f'<select id="visibility-{secret}" name="visibility">' in reply_form
    assert '<option value="private" selected>Followers only</option>' in reply_form


async def test_a_direct_post_reaches_the_mentioned_only(
    alice: Visitor, bob: Visitor, carol: Visitor, visitor: Visitor
) -> None:
    response = await alice.post(
        "/posts", {"content": "psst @bob & @nobody", "visibility": "direct"}
    )
    assert response.status_code == 303
    (post_id,) = post_ids(await alice.page("/?mode=mine"))
    for outsider in (carol, visitor):
        page = await outsider.get(f"/posts/{post_id}")
        assert page.status_code == 404
        assert "No such post" in visible_text(page.text)
        assert post_ids(await outsider.page("/@alice")) == []
    assert post_ids(await carol.page("/?mode=all")) == []
    for insider in (alice, bob):
        shown = article(await insider.page(f"/posts/{post_id}"), post_id)
        assert '<p class="visibility direct">Mentioned people only</p>' in shown
        assert post_ids(await insider.page("/@alice")) == [post_id]
    # The mention of an account links to its profile; text that names nobody stays text.
    shown = article(await bob.page(f"/posts/{post_id}"), post_id)
    assert (
        '<p class="content">psst <span class="h-card" translate="no"><a href="/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> &amp; @nobody</p>'
    ) in shown


async def test_followers_only_and_unlisted_posts(
    alice: Visitor, bob: Visitor, carol: Visitor
) -> None:
    await bob.follow("alice")
    private = await compose(alice, "followers only", "private")
    unlisted = await compose(alice, "quietly public", "unlisted")
    assert post_ids(await bob.page("/@alice")) == [unlisted, private]
    assert post_ids(await carol.page("/@alice")) == [unlisted]
    assert (await carol.get(f"/posts/{private}")).status_code == 404
    assert post_ids(await carol.page("/?mode=all")) == []  # unlisted: not in All
    shown = article(await carol.page(f"/posts/{unlisted}"), unlisted)
    assert '<p class="visibility unlisted">Unlisted</p>' in shown
    followers = article(await bob.page(f"/posts/{private}"), private)
    assert '<p class="visibility private">Followers only</p>' in followers
    public = await compose(alice, "for all", "public")
    assert 'class="visibility' not in article(await carol.page("/?mode=all"), public)


async def test_an_unknown_visibility_is_refused_with_the_draft_kept(alice: Visitor) -> None:
    data = {"content": "my careful words", "visibility": "secret"}
    response = await alice.post("/posts", data)
    assert response.status_code == 422
    assert "visibility must be one of public, unlisted, private, direct" in flash(response.text)
    assert textareas(response.text) == ["my careful words"]
    fragment = await alice.post("/posts", data, htmx=True)
    assert fragment.status_code == 422
    assert fragment.headers["HX-Retarget"] == "#flash"
    assert "visibility must be one of" in fragment.text
    reply = await alice.post("/posts", {**data, "parent_id": str(await alice.compose("root"))})
    assert reply.status_code == 422
    assert "my careful words" in textareas(reply.text)
    assert contents(await alice.page("/?mode=mine")) == ["root"]


# Favourites, boosts, bookmarks -------------------------------------------------------------


async def test_favouriting_without_javascript_goes_back_to_the_page(
    alice: Visitor, bob: Visitor
) -> None:
    post_id = await alice.compose("like me")
    page = await bob.page("/?mode=all")
    assert buttons(article(page, post_id)) == {
        "favourite": "Favourite 0",
        "reblog": "Boost 0",
        "bookmark": "Bookmark",
    }
    assert f'<input type="hidden" name="next" value="/?mode=all#post-{post_id}">' in page
    response = await bob.post(f"/posts/{post_id}/favourite", {"next": f"/?mode=all#post-{post_id}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/?mode=all#post-{post_id}"
    page = await bob.page("/?mode=all")
    assert buttons(article(page, post_id))["unfavourite"] == "Unfavourite 1"
    # Everyone sees the count; only bob sees it as his.
    assert buttons(article(await alice.page("/"), post_id))["favourite"] == "Favourite 1"
    # Another site as the target goes home instead; no target goes to the post.
    away = await bob.post(f"/posts/{post_id}/unfavourite", {"next": "//evil.example/"})
    assert away.headers["location"] == "/"
    again = await bob.post(f"/posts/{post_id}/favourite")
    assert again.headers["location"] == f"/posts/{post_id}"


async def test_the_buttons_show_the_reader_s_own_state_on_every_page(
    alice: Visitor, bob: Visitor
) -> None:
    await bob.follow("alice")
    post_id = await alice.compose("flags")
    for verb in ("favourite", "reblog", "bookmark"):
        assert (await bob.post(f"/posts/{post_id}/{verb}")).status_code == 303
    mine = {"unfavourite": "Unfavourite 1", "unreblog": "Unboost 1", "unbookmark": "Unbookmark"}
    others = {"favourite": "Favourite 1", "reblog": "Boost 1", "bookmark": "Bookmark"}
    for url in ("/?mode=all", "/?mode=timeline", "/@alice", f"/posts/{post_id}"):
        assert buttons(article(await bob.page(url), post_id)) == mine, url
        assert buttons(article(await alice.page(url), post_id)) == others, url


async def test_favourite_boost_and_bookmark_with_htmx_swap_the_post(
    alice: Visitor, bob: Visitor
) -> None:
    post_id = await alice.compose("swap me")
    for verb, expected in [
        ("favourite", {"unfavourite": "Unfavourite 1"}),
        ("reblog", {"unreblog": "Unboost 1"}),
        ("bookmark", {"unbookmark": "Unbookmark"}),
        ("unfavourite", {"favourite": "Favourite 0"}),
        ("unreblog", {"reblog": "Boost 0"}),
        ("unbookmark", {"bookmark": "Bookmark"}),
    ]:
        response = await bob.post(f"/posts/{post_id}/{verb}", htmx=True)
        assert response.status_code == 200, (verb, response.text)
        assert not is_full_page(response.text)
        assert post_ids(response.text) == [post_id], verb  # the same article, in place
        assert expected.items() <= buttons(response.text).items(), (verb, response.text)
    assert contents(response.text) == ["swap me"]


async def test_a_boost_shows_who_boosted_above_the_boosted_post(
    alice: Visitor, bob: Visitor, carol: Visitor
) -> None:
    await carol.follow("bob")
    post_id = await alice.compose("worth sharing")
    response = await bob.post(f"/posts/{post_id}/reblog", {"next": "/@bob"})
    assert response.headers["location"] == "/@bob"
    (boost_id,) = post_ids(await carol.page("/?mode=timeline"))
    assert boost_id != post_id
    boost = article(await carol.page("/?mode=timeline"), boost_id)
    assert '<p class="boosted-by">↻ <a href="/@bob">@bob</a> boosted</p>' in boost
    assert '<a class="author" href="/@alice">@alice</a>' in boost
    assert contents(boost) == ["worth sharing"]
    assert buttons(boost)["reblog"] == "Boost 1"
    assert post_ids(await carol.page("/@bob")) == [boost_id]
    # Acting on the boost acts on the boosted post and keeps the boost's article.
    fragment = await carol.post(f"/posts/{boost_id}/favourite", htmx=True)
    assert post_ids(fragment.text) == [boost_id]
    assert "@bob</a> boosted" in fragment.text
    assert buttons(fragment.text)["unfavourite"] == "Unfavourite 1"
    # Bob undoing his boost from its article: the boosted post takes its place.
    undone = await bob.post(f"/posts/{boost_id}/unreblog", htmx=True)
    assert post_ids(undone.text) == [post_id]
    assert "boosted" not in visible_text(undone.text)
    assert buttons(undone.text)["reblog"] == "Boost 0"
    assert post_ids(await carol.page("/?mode=timeline")) == []


async def test_boost_is_offered_only_where_it_is_allowed(alice: Visitor, bob: Visitor) -> None:
    await bob.follow("alice")
    private = await compose(alice, "followers only @bob", "private")
    direct = await compose(alice, "just @bob", "direct")
    unlisted = await compose(alice, "unlisted", "unlisted")
    for post_id, bob_can, alice_can in [
        (private, False, True),
        (direct, False, False),
        (unlisted, True, True),
    ]:
        for who, can in ((bob, bob_can), (alice, alice_can)):
            shown = buttons(article(await who.page(f"/posts/{post_id}"), post_id))
            assert ("reblog" in shown) is can, (post_id, who.username)
            assert "favourite" in shown and "bookmark" in shown


async def test_refused_actions_show_their_message(
    alice: Visitor, bob: Visitor, carol: Visitor, visitor: Visitor
) -> None:
    await bob.follow("alice")
    private = await compose(alice, "followers only", "private")
    page = await bob.post(f"/posts/{private}/reblog")
    assert page.status_code == 403
    assert is_full_page(page.text)
    assert "A private post can't be boosted" in visible_text(page.text)
    # The error page keeps the reader's top bar: still logged in, not a visitor's bar.
    assert "Log out" in page.text and f"@{bob.username}" in page.text
    missing = await visitor.get("/posts/999999")
    assert missing.status_code == 404 and "Log out" not in missing.text
    fragment = await bob.post(f"/posts/{private}/reblog", htmx=True)
    assert fragment.status_code == 403
    assert fragment.headers["HX-Retarget"] == "#flash"
    assert visible_text(fragment.text) == "A private post can't be boosted"
    # A post one may not see is not there at all.
    hidden = await carol.post(f"/posts/{private}/favourite")
    assert hidden.status_code == 404
    assert "No such post" in visible_text(hidden.text)
    assert (await carol.post("/posts/999999/bookmark", htmx=True)).status_code == 404
    assert (await carol.post("/posts/nope/bookmark")).status_code == 422
    logged_out = await visitor.post(f"/posts/{private}/favourite")
    assert logged_out.status_code == 401
    assert "Log in to do that" in visible_text(logged_out.text)
    assert buttons(article(await alice.page("/"), private))["reblog"] == "Boost 0"


async def test_favourites_and_bookmarks_pages(alice: Visitor, bob: Visitor) -> None:
    first = await alice.compose("first")
    second = await alice.compose("second")
    await bob.post(f"/posts/{second}/bookmark")
    await bob.post(f"/posts/{first}/bookmark")
    await bob.post(f"/posts/{first}/favourite")
    assert post_ids(await bob.page("/bookmarks")) == [first, second]  # newest bookmark first
    assert post_ids(await bob.page("/favourites")) == [first]
    assert post_ids(await alice.page("/bookmarks")) == []
    assert "Nothing here yet." in await alice.page("/favourites")
    await bob.post(f"/posts/{first}/unbookmark")
    assert post_ids(await bob.page("/bookmarks")) == [second]
    nav = await bob.page("/")
    assert '<a href="/favourites">Favourites</a>' in nav
    assert '<a href="/bookmarks">Bookmarks</a>' in nav


# Blocks and mutes --------------------------------------------------------------------------


def relation_forms(page: str) -> list[str]:
    box = re.search(r'<div class="relations">(.*?)</div>', page, re.S)
    assert box is not None, "no block / mute buttons"
    return re.findall(r'<form method="post" action="/@\w+/(\w+)" class="inline">', box.group(1))


async def test_blocking_from_the_profile(alice: Visitor, bob: Visitor, visitor: Visitor) -> None:
    await alice.follow("bob")
    await bob.follow("alice")
    bobs = await bob.compose("bob writes")
    await alice.compose("alice writes")
    profile = await alice.page("/@bob")
    assert relation_forms(profile) == ["block", "mute"]
    assert '<div class="relations">' not in await alice.page("/@alice")
    assert '<div class="relations">' not in await visitor.page("/@bob")

    response = await alice.post("/@bob/block")
    assert response.status_code == 303 and response.headers["location"] == "/@bob"
    profile = await alice.page("/@bob")
    assert '<span class="state blocked">Blocked</span>' in profile
    assert relation_forms(profile) == ["unblock", "mute"]
    assert 'action="/@bob/follow"' not in profile and 'action="/@bob/unfollow"' not in profile
    assert "0</strong> following" in profile  # the follows both ways ended
    # Each stops seeing the other's posts.
    assert post_ids(await bob.page("/@alice")) == []
    assert post_ids(await alice.page("/@bob")) == []
    assert (await alice.get(f"/posts/{bobs}")).status_code == 404
    assert 'action="/@alice/follow"' not in await bob.page("/@alice")

    assert (await alice.post("/@bob/unblock")).status_code == 303
    profile = await alice.page("/@bob")
    assert "Blocked" not in visible_text(profile)
    assert relation_forms(profile) == ["block", "mute"]
    assert post_ids(profile) == [bobs]
    assert (await alice.post("/@alice/block")).status_code == 422  # not oneself


async def test_muting_from_the_profile(alice: Visitor, bob: Visitor) -> None:
    await alice.follow("bob")
    bobs = await bob.compose("noise")
    assert post_ids(await alice.page("/?mode=timeline")) == [bobs]
    assert (await alice.post("/@bob/mute")).status_code == 303
    profile = await alice.page("/@bob")
    assert '<span class="state muted">Muted</span>' in profile
    assert relation_forms(profile) == ["block", "unmute"]
    assert "/@bob/unfollow" in profile  # a mute keeps the follow
    assert post_ids(await alice.page("/?mode=timeline")) == []
    assert (await alice.post("/@bob/unmute")).status_code == 303
    assert post_ids(await alice.page("/?mode=timeline")) == [bobs]
    assert "Muted" not in visible_text(await alice.page("/@bob"))


# Notifications -----------------------------------------------------------------------------


async def test_notifications_say_who_did_what(alice: Visitor, bob: Visitor) -> None:
    post_id = await alice.compose("a post of alice's")
    await bob.follow("alice")
    mention = await bob.compose("hello @alice")
    await bob.post(f"/posts/{post_id}/favourite")
    await bob.post(f"/posts/{post_id}/reblog")
    page = await alice.page("/notifications")
    assert notifications(page) == [
        "@bob boosted your post",
        "@bob favourited your post",
        "@bob mentioned you",
        "@bob followed you",
    ]
    assert [kind for kind, _ in NOTIFICATION.findall(page)] == [
        "reblog",
        "favourite",
        "mention",
        "follow",
    ]
    assert post_ids(page) == [mention]  # a mention comes with its post, buttons and all
    assert "favourite" in buttons(article(page, mention))
    assert page.count(f'<a class="quoted" href="/posts/{post_id}">a post of alice&#39;s</a>') == 2
    assert notifications(await bob.page("/notifications")) == []
    assert "Nothing yet." in await bob.page("/notifications")


async def test_the_unread_count_goes_once_the_notifications_are_seen(
    alice: Visitor, bob: Visitor, visitor: Visitor
) -> None:
    assert badge(await alice.page("/")) is None
    # The badge's slot is there, empty (the live stream fills it: web/live_pages.py).
    assert '<span id="unread-slot" sse-swap="badge"></span></a>' in await alice.page("/")
    await bob.follow("alice")
    await bob.compose("@alice look")
    for url in ("/", "/@bob", "/settings", "/bookmarks"):
        assert badge(await alice.page(url)) == 2, url
    assert badge(await bob.page("/")) is None
    seen = await alice.page("/notifications")
    assert badge(seen) is None  # marked read before the top bar counts
    assert len(notifications(seen)) == 2
    assert badge(await alice.page("/")) is None
    await bob.post("/@alice/unfollow")
    await bob.follow("alice")
    assert badge(await alice.page("/")) == 1
    assert "/notifications" not in await visitor.page("/")
    response = await visitor.get("/notifications")
    assert response.status_code == 401
    assert "Log in to do that" in visible_text(response.text)


async def test_notifications_page_by_twenty_and_older_pages_leave_the_count(
    app: FastAPI, alice: Visitor, bob: Visitor
) -> None:
    microblog = blog_of(app)
    a, b = await microblog.user_named("alice"), await microblog.user_named("bob")
    posts = [await microblog.create_post(a.id, f"post {i}", None) for i in range(21)]
    for post in posts:
        await microblog.favourite(b.id, post.id)
    first = await alice.page("/notifications")
    assert len(notifications(first)) == 20
    older = re.search(r'<a class="more button" href="(/notifications\?max_id=(\d+))">', first)
    assert older is not None
    assert first.count("favourited your post") == 20
    second = await alice.page(html.unescape(older.group(1)))
    assert len(notifications(second)) == 1
    assert 'class="more button"' not in second
    assert "post 0" in second
    # The first page marked all 21 read (its newest is the newest).
    assert await microblog.unread_notifications(a.id) == 0
    await microblog.unfavourite(b.id, posts[0].id)
    await microblog.favourite(b.id, posts[0].id)
    assert badge(await alice.page(html.unescape(older.group(1)))) == 1  # older pages: not read


async def test_dismissing_one_and_clearing_all(
    alice: Visitor, bob: Visitor, carol: Visitor
) -> None:
    await bob.follow("alice")
    await carol.follow("alice")
    await bob.compose("@alice hi")
    ids = [int(i) for _, i in NOTIFICATION.findall(await alice.page("/notifications"))]
    assert len(ids) == 3
    fragment = await alice.post(f"/notifications/{ids[0]}/dismiss", htmx=True)
    assert fragment.status_code == 200 and fragment.text == ""
    plain = await alice.post(f"/notifications/{ids[1]}/dismiss")
    assert plain.status_code == 303 and plain.headers["location"] == "/notifications"
    assert notifications(await alice.page("/notifications")) == ["@bob followed you"]
    gone = await alice.post(f"/notifications/{ids[0]}/dismiss")
    assert gone.status_code == 404 and "No such notification" in visible_text(gone.text)
    theirs = await bob.post(f"/notifications/{ids[2]}/dismiss", htmx=True)
    assert theirs.status_code == 404 and theirs.headers["HX-Retarget"] == "#flash"
    cleared = await alice.post("/notifications/clear")
    assert cleared.status_code == 303 and cleared.headers["location"] == "/notifications"
    page = await alice.page("/notifications")
    assert notifications(page) == []
    assert "Clear all" not in page


# CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["favourite", "reblog", "bookmark", "block", "mute", "dismiss", "clear"],
)
async def test_every_new_form_needs_the_csrf_token(
    app: FastAPI, alice: Visitor, bob: Visitor, path: str
) -> None:
    post_id = await alice.compose("target")
    await alice.follow("bob")
    await bob.follow("alice")
    (_, newest), *_ = NOTIFICATION.findall(await alice.page("/notifications"))
    url = {
        "block": "/@bob/block",
        "mute": "/@bob/mute",
        "dismiss": f"/notifications/{newest}/dismiss",
        "clear": "/notifications/clear",
    }.get(path, f"/posts/{post_id}/{path}")

    async def state() -> tuple[object, ...]:
        microblog = blog_of(app)
        a, b = await microblog.user_named("alice"), await microblog.user_named("bob")
        post = await microblog.post(post_id, a.id)
        seen = await microblog.notifications(a.id, Window(), 9)
        return (
            post.favourites_count,
            post.reblogs_count,
            post.bookmarked,
            await microblog.relations(a.id, [b.id]),
            len(seen),
        )

    before = await state()
    for token in (None, "forged-" + "x" * 30, await bob.token()):
        for htmx in (False, True):
            response = await alice.post(url, htmx=htmx, csrf=token)
            assert response.status_code == 403, (token, htmx)
            assert CSRF_MESSAGE in response.text
    assert await state() == before
    done = await alice.post(url)
    assert done.status_code == 303, done.text
    assert await state() != before
