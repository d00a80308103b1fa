"""The HTML pages. They work without JavaScript; htmx swaps fragments in when it is there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from microblog.domain import rules
from microblog.domain.errors import (
    Busy,
    Invalid,
    MicroblogError,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from microblog.domain.models import FeedMode, Page, Post, Relations, User
from microblog.domain.types import Window
from microblog.search import SEARCH_TYPES, SearchType
from microblog.service import Microblog
from microblog.web import params
from microblog.web.deps import (
    MicroblogDep,
    PageUser,
    begin_session,
    check_csrf,
    end_session,
)
from microblog.web.ratelimit import limiter
from microblog.web.render import is_htmx, local_path, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(params.storable_parameters)])
Csrf = Depends(check_csrf)
LOGGED_IN_MODES = (FeedMode.TIMELINE, FeedMode.MINE, FeedMode.FOLLOWING, FeedMode.ALL)


async def _page(
    request: Request,
    microblog: Microblog,
    name: str,
    context: dict[str, Any],
    status: int = 200,
) -> HTMLResponse:
    """A whole page; for a logged-in reader, with the count of unread notifications in the
    top bar (one query; fragments and redirects skip it)."""
    me = context.get("me")
    if isinstance(me, User):
        context = {**context, "unread": await microblog.unread_notifications(me.id)}
    return render(request, name, context, status)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _need(me: User | None) -> User:
    if me is None:
        raise Unauthenticated("Log in to do that")
    return me


def _mode(raw: str | None, me: User | None) -> FeedMode:
    if me is None:
        return FeedMode.ALL
    try:
        return FeedMode(raw) if raw else FeedMode.TIMELINE
    except ValueError as exc:
        raise Invalid(f"Unknown feed {raw!r}", "mode") from exc


def _cursor_window(request: Request) -> Window:
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    return Window(below=max_id) if max_id is not None else Window()


def _more_url(path: str, page: Page, **extra: str) -> str | None:
    if page.next_cursor is None:
        return None
    return f"{path}?{urlencode({**extra, 'max_id': page.next_cursor})}"


async def _home_context(
    request: Request, microblog: MicroblogDep, me: User | None, mode: FeedMode
) -> dict[str, Any]:
    page_size = request.app.state.runtime.settings.page_size
    # The reader's own flags (favourited, boosted, bookmarked) on All too.
    reader = (me.id if me else None) if mode is FeedMode.ALL else _need(me).id
    page = await microblog.feed(reader, mode, _cursor_window(request), page_size)
    modes = LOGGED_IN_MODES if me is not None else (FeedMode.ALL,)
    return {
        "me": me,
        "mode": mode,
        "modes": modes,
        "page": page,
        "more_url": _more_url("/", page, mode=mode.value),
        # The first page of the timeline hears of new posts live (web/live_pages.py).
        "live_home": me is not None
        and mode is FeedMode.TIMELINE
        and "max_id" not in request.query_params,
    }


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The feeds: timeline / mine / following / all (visitors see all)."""
    mode = _mode(request.query_params.get("mode"), me)
    context = await _home_context(request, microblog, me, mode)
    if is_htmx(request) and request.query_params.get("max_id"):
        return render(request, "_feed_page.html", context)
    return await _page(request, microblog, "home.html", context)


# Accounts ---------------------------------------------------------------------------------


@router.get("/signup", response_class=HTMLResponse)
async def signup_form(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The sign-up form."""
    return await _page(request, microblog, "signup.html", {"me": me})


@router.post("/signup", dependencies=[Csrf])
async def signup(
    request: Request,
    microblog: MicroblogDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Create an account and log in."""
    try:
        await limiter(request).signup(request)
        user = await microblog.sign_up(username, password)
    except (Invalid, RateLimited, Busy) as exc:
        context = {"error": str(exc), "username": username}
        return await _form_again(request, microblog, "signup.html", context, exc)
    await begin_session(request, microblog, user.id)
    return _redirect("/")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The log-in form."""
    context = {"me": me, "next": request.query_params.get("next", "")}
    return await _page(request, microblog, "login.html", context)


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    microblog: MicroblogDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password and start a session; back to where the visitor was going."""
    try:
        await limiter(request).login(request, username)
        user = await microblog.authenticate(username, password)
    except (Invalid, RateLimited, Busy) as exc:
        context = {"error": str(exc), "username": username, "next": next}
        return await _form_again(request, microblog, "login.html", context, exc)
    await begin_session(request, microblog, user.id)
    return _redirect(local_path(next))


async def _form_again(
    request: Request,
    microblog: Microblog,
    name: str,
    context: dict[str, Any],
    exc: MicroblogError,
) -> Response:
    """A form shown again with what was typed and why it failed (and, for a limit, when to
    try again: the error's status and ``Retry-After``)."""
    response = await _page(request, microblog, name, context, status=exc.status)
    response.headers.update(exc.headers)
    return response


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request, microblog: MicroblogDep) -> Response:
    """End the session, on the server too (a copy of the cookie stops working)."""
    await end_session(request, microblog)
    return _redirect("/")


@router.get("/settings", response_class=HTMLResponse)
@router.get("/settings/profile", response_class=HTMLResponse)
async def profile_form(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The settings: description, password, sessions."""
    user = _need(me)
    context = {"me": user, "description": user.description}
    return await _page(request, microblog, "settings.html", context)


@router.post("/settings/password", dependencies=[Csrf])
async def change_password(
    request: Request,
    microblog: MicroblogDep,
    me: PageUser,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Change the password; every other session and API token ends, this browser stays in.
    The current-password check counts as a log-in attempt (guessing it here is as limited)."""
    user = _need(me)
    try:
        await limiter(request).login(request, user.username)
        await microblog.change_password(user.id, current_password, new_password)
    except (Invalid, RateLimited, Busy) as exc:
        context = {"me": user, "description": user.description, "error": str(exc)}
        return await _form_again(request, microblog, "settings.html", context, exc)
    await begin_session(request, microblog, user.id)
    context = {"me": user, "description": user.description, "notice": "Password changed"}
    return await _page(request, microblog, "settings.html", context)


@router.post("/settings/logout-everywhere", dependencies=[Csrf])
async def logout_everywhere(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """End every browser session of the account, this one included."""
    user = _need(me)
    await microblog.end_all_sessions(user.id)
    request.session.clear()
    return _redirect("/login")


@router.post("/settings/profile", dependencies=[Csrf])
async def update_profile(
    request: Request,
    microblog: MicroblogDep,
    me: PageUser,
    description: Annotated[str, Form()] = "",
) -> Response:
    """Save one's description and display name (a form without the latter keeps it)."""
    user = _need(me)
    # Read as sent: FastAPI's Form() takes an empty field for a missing one, and an empty
    # display name clears it.
    sent = (await request.form()).get("display_name")
    display_name = sent if isinstance(sent, str) else None
    try:
        await microblog.update_profile(user.id, description=description, display_name=display_name)
    except Invalid as exc:
        context = {
            "me": user,
            "description": description,
            "display_name": user.display_name if display_name is None else display_name,
            "error": str(exc),
        }
        return await _page(request, microblog, "settings.html", context, status=422)
    return _redirect(f"/@{user.username}")


@router.get("/settings/delete", response_class=HTMLResponse)
async def confirm_delete_account(
    request: Request, microblog: MicroblogDep, me: PageUser
) -> Response:
    """What deleting the account removes, and the password to confirm it."""
    return await _page(request, microblog, "delete_account.html", {"me": _need(me)})


@router.post("/settings/delete", dependencies=[Csrf])
async def delete_account(
    request: Request,
    microblog: MicroblogDep,
    me: PageUser,
    password: Annotated[str, Form()] = "",
) -> Response:
    """Delete one's own account (its password confirms it); the browser is logged out.
    The password check counts as a log-in attempt (guessing it here is as limited)."""
    user = _need(me)
    try:
        await limiter(request).login(request, user.username)
        await microblog.delete_account(user.id, password)
    except (Invalid, RateLimited, Busy) as exc:
        context = {"me": user, "error": str(exc)}
        return await _form_again(request, microblog, "delete_account.html", context, exc)
    request.session.clear()  # its sessions are gone with it; forget the cookie's too
    return render(request, "delete_account.html", {"deleted": user.username})


# Posts ------------------------------------------------------------------------------------


@router.post("/posts", dependencies=[Csrf])
async def create_post(
    request: Request,
    microblog: MicroblogDep,
    me: PageUser,
    content: Annotated[str, Form()] = "",
    parent_id: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "",
    spoiler_text: Annotated[str, Form()] = "",
) -> Response:
    """Publish a post or a reply, as public (the default), unlisted, for followers only
    (``private``) or for the mentioned accounts only (``direct``), with a content warning
    when ``spoiler_text`` is given."""
    user = _need(me)
    parent = rules.optional_id(parent_id, "parent_id")
    try:
        chosen = rules.visibility(visibility)
        await limiter(request).post(user.id)
        post = await microblog.create_post(
            user.id, content, parent, chosen, spoiler_text=spoiler_text
        )
    except (Invalid, RateLimited) as exc:
        if is_htmx(request):
            raise
        # Without JavaScript: the page again, with the text kept and the reason shown.
        kept = {
            "error": str(exc),
            "draft": content,
            "draft_visibility": visibility,
            "draft_spoiler": spoiler_text,
        }
        if parent is not None:
            thread = await microblog.thread(parent, user.id)
            context = {"me": user, "thread": thread, "here": f"/posts/{parent}", **kept}
            return await _form_again(request, microblog, "post.html", context, exc)
        context = await _home_context(request, microblog, user, FeedMode.TIMELINE)
        context.update(kept)
        return await _form_again(request, microblog, "home.html", context, exc)
    if is_htmx(request):
        return render(request, "_post.html", {"me": user, "post": post, "fresh": True})
    return _redirect(f"/posts/{parent}" if parent is not None else "/")


@router.get("/posts/{post_id}", response_class=HTMLResponse)
async def show_post(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """A post with its thread and a reply form."""
    thread = await microblog.thread(rules.object_id(post_id), me.id if me else None)
    return await _page(request, microblog, "post.html", {"me": me, "thread": thread})


@router.get("/posts/{post_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Ask before deleting (the htmx button asks in a dialog instead)."""
    user = _need(me)
    post = await microblog.post(rules.object_id(post_id), user.id)
    if post.author.id != user.id:
        raise NotFound("No such post of yours")
    return await _page(request, microblog, "confirm_delete.html", {"me": user, "post": post})


@router.post("/posts/{post_id}/delete", dependencies=[Csrf])
async def delete_post(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Delete one's own post."""
    user = _need(me)
    await microblog.delete_post(user.id, rules.object_id(post_id))
    if is_htmx(request):
        return HTMLResponse("")
    return _redirect("/?mode=mine")


async def _own_post(microblog: Microblog, user: User, raw_id: str) -> Post:
    post = await microblog.post(rules.object_id(raw_id), user.id)
    if post.author.id != user.id or post.reblog is not None:
        raise NotFound("No such post of yours")
    return post


@router.get("/posts/{post_id}/edit", response_class=HTMLResponse)
async def edit_form(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """The form to edit one's own post's text and content warning."""
    user = _need(me)
    post = await _own_post(microblog, user, post_id)
    context = {"me": user, "post": post, "draft": post.content, "spoiler": post.spoiler_text}
    return await _page(request, microblog, "edit_post.html", context)


@router.post("/posts/{post_id}/edit", dependencies=[Csrf])
async def edit_post(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Save an edit; the form again, with what was typed, when it is refused."""
    user = _need(me)
    post = await _own_post(microblog, user, post_id)
    form = await request.form()
    content, spoiler = form.get("content"), form.get("spoiler_text")
    try:
        await microblog.edit_post(user.id, post.id, content, spoiler_text=spoiler or "")
    except Invalid as exc:
        context = {
            "me": user,
            "post": post,
            "draft": content if isinstance(content, str) else "",
            "spoiler": spoiler if isinstance(spoiler, str) else "",
            "error": str(exc),
        }
        return await _form_again(request, microblog, "edit_post.html", context, exc)
    return _redirect(f"/posts/{post.id}")


PostVerb = Callable[[Microblog, int, int], Awaitable[Post]]
POST_VERBS: dict[str, PostVerb] = {
    "favourite": Microblog.favourite,
    "unfavourite": Microblog.unfavourite,
    "reblog": Microblog.reblog,
    "unreblog": Microblog.unreblog,
    "bookmark": Microblog.bookmark,
    "unbookmark": Microblog.unbookmark,
}


async def _act(
    request: Request, microblog: Microblog, me: User | None, raw_id: str, verb: str, next: str
) -> Response:
    """Favourite, boost or bookmark (or undo it) the post an article shows (a boost's id acts
    on the boosted post). Without JavaScript, back to the page it was on; with htmx, the
    article again, as the reader now sees it."""
    user = _need(me)
    post_id = rules.object_id(raw_id)
    done = await POST_VERBS[verb](microblog, user.id, post_id)
    if not is_htmx(request):
        return _redirect(local_path(next) if next else f"/posts/{done.shown.id}")
    post = done
    if done.id != post_id:  # a boost's article, or a boost made or undone: that article again
        try:
            post = await microblog.post(post_id, user.id)
        except NotFound:  # one's own boost, just undone: the boosted post takes its place
            post = done.shown
    return render(request, "_post.html", {"me": user, "post": post})


def _post_action(verb: str) -> None:
    async def endpoint(
        request: Request,
        post_id: str,
        microblog: MicroblogDep,
        me: PageUser,
        next: Annotated[str, Form()] = "",
    ) -> Response:
        return await _act(request, microblog, me, post_id, verb, next)

    endpoint.__name__ = f"{verb}_post"
    endpoint.__doc__ = f"{verb.capitalize()} a post; htmx swaps the post in place."
    router.post(f"/posts/{{post_id}}/{verb}", dependencies=[Csrf])(endpoint)


for _verb in POST_VERBS:
    _post_action(_verb)


# Profiles ---------------------------------------------------------------------------------


@router.get("/@{username}", response_class=HTMLResponse)
async def profile(
    request: Request, username: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """A user's profile: counts, follow button, posts."""
    user = await microblog.user_named(username)
    page_size = request.app.state.runtime.settings.page_size
    reader = me.id if me else None
    page = await microblog.user_posts(user.id, _cursor_window(request), page_size, reader)
    context: dict[str, Any] = {
        "me": me,
        "user": user,
        "page": page,
        "more_url": _more_url(f"/@{user.username}", page),
    }
    if is_htmx(request) and request.query_params.get("max_id"):
        return render(request, "_feed_page.html", context)
    if me is not None and me.id != user.id:
        context["following"] = bool(await microblog.following_among(me.id, [user.id]))
        relations = await microblog.relations(me.id, [user.id])
        context["relation"] = relations.get(user.id, Relations())
    return await _page(request, microblog, "profile.html", context)


async def _toggle(
    request: Request, microblog: MicroblogDep, me: User | None, username: str, on: bool
) -> Response:
    user = _need(me)
    target = await microblog.user_named(username)
    target = await (microblog.follow if on else microblog.unfollow)(user.id, target.id)
    if is_htmx(request):
        return render(request, "_follow.html", {"me": user, "user": target, "following": on})
    return _redirect(f"/@{target.username}")


@router.post("/@{username}/follow", dependencies=[Csrf])
async def follow(
    request: Request, username: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Follow; htmx swaps the button and the follower count in place."""
    return await _toggle(request, microblog, me, username, True)


@router.post("/@{username}/unfollow", dependencies=[Csrf])
async def unfollow(
    request: Request, username: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Unfollow; htmx swaps the button and the follower count in place."""
    return await _toggle(request, microblog, me, username, False)


RelationVerb = Callable[[Microblog, int, int], Awaitable[None]]
RELATION_VERBS: dict[str, RelationVerb] = {
    "block": Microblog.block,
    "unblock": Microblog.unblock,
    "mute": Microblog.mute,
    "unmute": Microblog.unmute,
}


def _relation_action(verb: str) -> None:
    async def endpoint(
        request: Request, username: str, microblog: MicroblogDep, me: PageUser
    ) -> Response:
        user = _need(me)
        target = await microblog.user_named(username)
        await RELATION_VERBS[verb](microblog, user.id, target.id)
        return _redirect(f"/@{target.username}")

    endpoint.__name__ = f"{verb}_user"
    endpoint.__doc__ = f"{verb.capitalize()} an account; back to its profile."
    router.post(f"/@{{username}}/{verb}", dependencies=[Csrf])(endpoint)


for _verb in RELATION_VERBS:
    _relation_action(_verb)


async def _people(
    request: Request, microblog: MicroblogDep, me: User | None, username: str, which: str
) -> Response:
    user = await microblog.user_named(username)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    lister = microblog.followers if which == "followers" else microblog.following
    people = await lister(user.id, max_id, 50)
    more = f"/@{user.username}/{which}?max_id={people[-1].id}" if len(people) == 50 else None
    context = {"me": me, "user": user, "people": people, "which": which, "more_url": more}
    return await _page(request, microblog, "people.html", context)


@router.get("/@{username}/followers", response_class=HTMLResponse)
async def followers(
    request: Request, username: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Who follows this user."""
    return await _people(request, microblog, me, username, "followers")


@router.get("/@{username}/following", response_class=HTMLResponse)
async def following(
    request: Request, username: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Whom this user follows."""
    return await _people(request, microblog, me, username, "following")


# Notifications, favourites, bookmarks ----------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """What others did to the reader: follows, mentions, favourites, boosts, newest first.
    Seeing the first page marks them read (the top bar's count goes)."""
    user = _need(me)
    page_size = request.app.state.runtime.settings.page_size
    window = _cursor_window(request)
    shown = await microblog.notifications(user.id, window, page_size + 1)
    more = None
    if len(shown) > page_size:
        shown = shown[:page_size]
        more = f"/notifications?{urlencode({'max_id': shown[-1].notification.id})}"
    if shown and "max_id" not in request.query_params:
        await microblog.notifications_read(user.id, shown[0].notification.id)
    context = {"me": user, "notifications": shown, "more_url": more}
    return await _page(request, microblog, "notifications.html", context)


@router.post("/notifications/clear", dependencies=[Csrf])
async def clear_notifications(microblog: MicroblogDep, me: PageUser) -> Response:
    """Delete every notification of the reader's."""
    await microblog.clear_notifications(_need(me).id)
    return _redirect("/notifications")


@router.post("/notifications/{notification_id}/dismiss", dependencies=[Csrf])
async def dismiss_notification(
    request: Request, notification_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Delete one notification; htmx removes it from the list in place."""
    user = _need(me)
    await microblog.dismiss_notification(user.id, rules.object_id(notification_id))
    if is_htmx(request):
        return HTMLResponse("")
    return _redirect("/notifications")


async def _listing(request: Request, microblog: Microblog, me: User | None, which: str) -> Response:
    user = _need(me)
    page_size = request.app.state.runtime.settings.page_size
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    lister = microblog.favourites if which == "favourites" else microblog.bookmarks
    listing = await lister(user.id, max_id, page_size)
    page = Page(listing.items, listing.next_max_id)
    context = {"me": user, "page": page, "which": which, "more_url": _more_url(f"/{which}", page)}
    if is_htmx(request) and max_id is not None:
        return render(request, "_feed_page.html", context)
    return await _page(request, microblog, "listing.html", context)


@router.get("/favourites", response_class=HTMLResponse)
async def favourites(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The posts the reader favourited, most recently favourited first."""
    return await _listing(request, microblog, me, "favourites")


@router.get("/bookmarks", response_class=HTMLResponse)
async def bookmarks(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The posts the reader bookmarked, most recently bookmarked first."""
    return await _listing(request, microblog, me, "bookmarks")


# Search and hashtags ----------------------------------------------------------------------

POSTS_ONLY: tuple[SearchType, ...] = ("statuses",)


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "").strip()
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 5:
        raise Invalid("offset must be a whole number", "offset")
    return int(raw)


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The people, hashtags and posts a query finds (posts for logged-in readers only, as
    the API searches them); "Load more" brings the next posts."""
    q = request.query_params.get("q", "")
    context: dict[str, Any] = {"me": me, "q": q, "searched": bool(q.strip())}
    if not q.strip():
        return await _page(request, microblog, "search.html", context)
    page_size = request.app.state.runtime.settings.page_size
    origin = request.app.state.runtime.settings.origin
    offset = _offset(request)
    reader = me.id if me else None
    try:
        found = await microblog.search(
            reader,
            q,
            origin,
            types=POSTS_ONLY if offset else SEARCH_TYPES,
            limit=page_size + 1,
            offset=offset,
        )
    except Invalid as exc:
        if is_htmx(request):
            raise
        context.update(searched=False, error=str(exc))
        return await _form_again(request, microblog, "search.html", context, exc)
    statuses = found.statuses[:page_size]
    more = None
    if len(found.statuses) > page_size:
        more = f"/search?{urlencode({'q': q, 'offset': offset + page_size})}"
    context.update(
        accounts=found.accounts[:page_size],
        hashtags=found.hashtags[:page_size],
        first=offset == 0,
        page=Page(statuses, None),
        more_url=more,
    )
    if is_htmx(request) and offset:
        return render(request, "_feed_page.html", context)
    return await _page(request, microblog, "search.html", context)


@router.get("/tags/{tag}", response_class=HTMLResponse)
async def tag_page(request: Request, tag: str, microblog: MicroblogDep, me: PageUser) -> Response:
    """The public posts carrying a hashtag, newest first, with "Load more"."""
    hashtag = await microblog.hashtag(tag)
    page_size = request.app.state.runtime.settings.page_size
    reader = me.id if me else None
    page = await microblog.tag_timeline(reader, hashtag.name, _cursor_window(request), page_size)
    context: dict[str, Any] = {
        "me": me,
        "tag": hashtag,
        "page": page,
        "more_url": _more_url(f"/tags/{quote(hashtag.name, safe='')}", page),
    }
    if is_htmx(request) and request.query_params.get("max_id"):
        return render(request, "_feed_page.html", context)
    return await _page(request, microblog, "tag.html", context)
