"""The HTML pages. They work without JavaScript; htmx swaps fragments in when it is there."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

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
from microblog.domain.models import FeedMode, Page, User
from microblog.domain.types import Window
from microblog.web import params
from microblog.web.deps import (
    MicroblogDep,
    PageUser,
    begin_session,
    check_csrf,
    end_session,
)
from microblog.web.ratelimit import limiter
from microblog.web.render import is_htmx, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(params.storable_parameters)])
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
        await limiter(request).signup(request)
        user = await microblog.sign_up(username, password)
    except (Invalid, RateLimited, Busy) as exc:
        context = {"error": str(exc), "username": username}
        return _form_again(request, "signup.html", context, exc)
    await begin_session(request, microblog, user.id)
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
        await limiter(request).login(request, username)
        user = await microblog.authenticate(username, password)
    except (Invalid, RateLimited, Busy) as exc:
        context = {"error": str(exc), "username": username, "next": next}
        return _form_again(request, "login.html", context, exc)
    await begin_session(request, microblog, user.id)
    return _redirect(_local(next))


def _form_again(
    request: Request, name: str, context: dict[str, Any], exc: MicroblogError
) -> Response:
    """A form shown again with what was typed and why it failed (and, for a limit, when to
    try again: the error's status and ``Retry-After``)."""
    response = render(request, name, context, status=exc.status)
    response.headers.update(exc.headers)
    return response


def _local(target: str) -> str:
    """A path on this site to go to after logging in (never another site)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request, microblog: MicroblogDep) -> Response:
    """End the session, on the server too (a copy of the cookie stops working)."""
    await end_session(request, microblog)
    return _redirect("/")


@router.get("/settings", response_class=HTMLResponse)
@router.get("/settings/profile", response_class=HTMLResponse)
async def profile_form(request: Request, me: PageUser) -> Response:
    """The settings: description, password, sessions."""
    user = _need(me)
    return render(request, "settings.html", {"me": user, "description": user.description})


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
        return _form_again(request, "settings.html", context, exc)
    await begin_session(request, microblog, user.id)
    context = {"me": user, "description": user.description, "notice": "Password changed"}
    return render(request, "settings.html", context)


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
    """Save one's description."""
    user = _need(me)
    try:
        await microblog.update_description(user.id, description)
    except Invalid as exc:
        context = {"me": user, "description": description, "error": str(exc)}
        return render(request, "settings.html", context, status=422)
    return _redirect(f"/@{user.username}")


@router.get("/settings/delete", response_class=HTMLResponse)
async def confirm_delete_account(request: Request, me: PageUser) -> Response:
    """What deleting the account removes, and the password to confirm it."""
    return render(request, "delete_account.html", {"me": _need(me)})


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
        return _form_again(request, "delete_account.html", {"me": user, "error": str(exc)}, exc)
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
) -> Response:
    """Publish a post or a reply."""
    user = _need(me)
    parent = rules.optional_id(parent_id, "parent_id")
    try:
        await limiter(request).post(user.id)
        post = await microblog.create_post(user.id, content, parent)
    except (Invalid, RateLimited) as exc:
        if is_htmx(request):
            raise
        # Without JavaScript: the page again, with the text kept and the reason shown.
        if parent is not None:
            thread = await microblog.thread(parent)
            context = {"me": user, "thread": thread, "error": str(exc), "draft": content}
            return _form_again(request, "post.html", context, exc)
        context = await _home_context(request, microblog, user, FeedMode.TIMELINE)
        context.update(error=str(exc), draft=content)
        return _form_again(request, "home.html", context, exc)
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
