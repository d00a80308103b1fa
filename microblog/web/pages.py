"""The HTML pages. They work without JavaScript; htmx swaps fragments in when it is there."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from microblog.domain import rules
from microblog.domain.errors import Invalid, NotFound, Unauthenticated
from microblog.domain.models import FeedMode, Page, User
from microblog.domain.types import Window
from microblog.web.deps import MicroblogDep, PageUser, check_csrf
from microblog.web.render import is_htmx, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
LOGGED_IN_MODES = (FeedMode.TIMELINE, FeedMode.MINE, FeedMode.FOLLOWING, FeedMode.ALL)


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
    page = await microblog.feed(
        None if mode is FeedMode.ALL else _need(me).id, mode, _cursor_window(request), page_size
    )
    modes = LOGGED_IN_MODES if me is not None else (FeedMode.ALL,)
    return {
        "me": me,
        "mode": mode,
        "modes": modes,
        "page": page,
        "more_url": _more_url("/", page, mode=mode.value),
    }


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, microblog: MicroblogDep, me: PageUser) -> Response:
    """The feeds: timeline / mine / following / all (visitors see all)."""
    mode = _mode(request.query_params.get("mode"), me)
    context = await _home_context(request, microblog, me, mode)
    if is_htmx(request) and request.query_params.get("max_id"):
        return render(request, "_feed_page.html", context)
    return render(request, "home.html", context)


# Accounts ---------------------------------------------------------------------------------


@router.get("/signup", response_class=HTMLResponse)
async def signup_form(request: Request, me: PageUser) -> Response:
    """The sign-up form."""
    return render(request, "signup.html", {"me": me})


@router.post("/signup", dependencies=[Csrf])
async def signup(
    request: Request,
    microblog: MicroblogDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Create an account and log in."""
    try:
        user = await microblog.sign_up(username, password)
    except Invalid as exc:
        context = {"error": str(exc), "username": username}
        return render(request, "signup.html", context, status=422)
    request.session["user_id"] = user.id
    return _redirect("/")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, me: PageUser) -> Response:
    """The log-in form."""
    return render(request, "login.html", {"me": me, "next": request.query_params.get("next", "")})


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
        user = await microblog.authenticate(username, password)
    except Invalid as exc:
        context = {"error": str(exc), "username": username, "next": next}
        return render(request, "login.html", context, status=422)
    request.session.clear()
    request.session["user_id"] = user.id
    return _redirect(_local(next))


def _local(target: str) -> str:
    """A path on this site to go to after logging in (never another site)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return _redirect("/")


@router.get("/settings/profile", response_class=HTMLResponse)
async def profile_form(request: Request, me: PageUser) -> Response:
    """Edit one's description."""
    user = _need(me)
    return render(request, "settings.html", {"me": user, "description": user.description})


@router.post("/settings/profile", dependencies=[Csrf])
async def update_profile(
    request: Request,
    microblog: MicroblogDep,
    me: PageUser,
    description: Annotated[str, Form()] = "",
) -> Response:
    """Save one's description."""
    user = _need(me)
    try:
        await microblog.update_description(user.id, description)
    except Invalid as exc:
        context = {"me": user, "description": description, "error": str(exc)}
        return render(request, "settings.html", context, status=422)
    return _redirect(f"/@{user.username}")


# Posts ------------------------------------------------------------------------------------


@router.post("/posts", dependencies=[Csrf])
async def create_post(
    request: Request,
    microblog: MicroblogDep,
    me: PageUser,
    content: Annotated[str, Form()] = "",
    parent_id: Annotated[str, Form()] = "",
) -> Response:
    """Publish a post or a reply."""
    user = _need(me)
    parent = rules.optional_id(parent_id, "parent_id")
    try:
        post = await microblog.create_post(user.id, content, parent)
    except Invalid as exc:
        if is_htmx(request):
            raise
        # Without JavaScript: the page again, with the text kept and the reason shown.
        if parent is not None:
            thread = await microblog.thread(parent)
            context = {"me": user, "thread": thread, "error": str(exc), "draft": content}
            return render(request, "post.html", context, status=422)
        context = await _home_context(request, microblog, user, FeedMode.TIMELINE)
        context.update(error=str(exc), draft=content)
        return render(request, "home.html", context, status=422)
    if is_htmx(request):
        return render(request, "_post.html", {"me": user, "post": post, "fresh": True})
    return _redirect(f"/posts/{parent}" if parent is not None else "/")


@router.get("/posts/{post_id}", response_class=HTMLResponse)
async def show_post(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """A post with its thread and a reply form."""
    thread = await microblog.thread(rules.object_id(post_id))
    return render(request, "post.html", {"me": me, "thread": thread})


@router.get("/posts/{post_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    request: Request, post_id: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """Ask before deleting (the htmx button asks in a dialog instead)."""
    user = _need(me)
    post = await microblog.post(rules.object_id(post_id))
    if post.author.id != user.id:
        raise NotFound("No such post of yours")
    return render(request, "confirm_delete.html", {"me": user, "post": post})


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


# Profiles ---------------------------------------------------------------------------------


@router.get("/@{username}", response_class=HTMLResponse)
async def profile(
    request: Request, username: str, microblog: MicroblogDep, me: PageUser
) -> Response:
    """A user's profile: counts, follow button, posts."""
    user = await microblog.user_named(username)
    page_size = request.app.state.runtime.settings.page_size
    page = await microblog.user_posts(user.id, _cursor_window(request), page_size)
    context = {
        "me": me,
        "user": user,
        "page": page,
        "more_url": _more_url(f"/@{user.username}", page),
        "following": me is not None and bool(await microblog.following_among(me.id, [user.id])),
    }
    if is_htmx(request) and request.query_params.get("max_id"):
        return render(request, "_feed_page.html", context)
    return render(request, "profile.html", context)


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


async def _people(
    request: Request, microblog: MicroblogDep, me: User | None, username: str, which: str
) -> Response:
    user = await microblog.user_named(username)
    max_id = rules.optional_id(request.query_params.get("max_id"), "max_id")
    lister = microblog.followers if which == "followers" else microblog.following
    people = await lister(user.id, max_id, 50)
    more = f"/@{user.username}/{which}?max_id={people[-1].id}" if len(people) == 50 else None
    context = {"me": me, "user": user, "people": people, "which": which, "more_url": more}
    return render(request, "people.html", context)


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
