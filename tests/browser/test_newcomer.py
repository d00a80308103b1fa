"""A newcomer's path through the site in a real browser: sign up, write, follow, read, delete.

Data other than the newcomer's own is set up through the JSON API (fast); everything the
newcomer does goes through the pages, with htmx and app.js running as they do for people.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    assert_not_reloaded,
    follow,
    mark_window,
    post_ids,
    publish,
    register,
    sign_up,
)

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/microblog-home.png"


def compose_box(page: Page) -> tuple[Locator, Locator, Locator]:
    """The compose form's textarea, counter and submit button."""
    form = page.locator("form.compose")
    return (
        form.locator("textarea"),
        form.locator("[data-count]"),
        form.get_by_role("button", name="Post"),
    )


def test_signing_up_through_the_form(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="What people are saying")).to_be_visible()
    expect(page.locator("form.compose")).to_have_count(0)
    page.locator("header.top").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("header.top nav")).to_contain_text("@newcomer")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("form.compose textarea")).to_be_visible()
    expect(page.locator("nav.tabs a.active")).to_have_text("Timeline")
    expect(page.locator("#feed")).to_contain_text("Nothing here yet.")


def test_the_character_count_follows_typing(page: Page) -> None:
    sign_up(page, "typist")
    box, count, button = compose_box(page)
    expect(count).to_have_text("200")
    expect(button).to_be_disabled()  # nothing to post yet

    box.press_sequentially("Hello")
    expect(count).to_have_text("195")
    expect(button).to_be_enabled()
    expect(count).not_to_have_class(re.compile(r"\bover\b"))

    box.fill("x" * 200)
    expect(count).to_have_text("0")
    expect(button).to_be_enabled()
    expect(count).not_to_have_class(re.compile(r"\bover\b"))

    box.press("End")
    box.press_sequentially("!")
    expect(count).to_have_text("-1")
    expect(count).to_have_class(re.compile(r"\bover\b"))
    expect(button).to_be_disabled()

    box.press("Backspace")
    expect(count).to_have_text("0")
    expect(button).to_be_enabled()
    box.fill("")
    expect(count).to_have_text("200")
    expect(button).to_be_disabled()


def test_a_post_appears_at_the_top_without_a_reload(page: Page) -> None:
    sign_up(page, "writer")
    box, _, button = compose_box(page)
    box.fill("my first post")
    button.click()
    expect(page.locator("#feed article.post")).to_have_count(1)

    mark_window(page)
    box.fill("my <second> post")
    button.click()
    feed = page.locator("#feed article.post")
    expect(feed).to_have_count(2)
    expect(feed.first.locator(".content")).to_have_text("my <second> post")
    expect(feed.first).to_have_class(re.compile(r"\bfresh\b"))
    expect(feed.nth(1).locator(".content")).to_have_text("my first post")
    expect(box).to_have_value("")
    expect(page.locator("#flash")).to_be_empty()
    assert_not_reloaded(page)
    expect(page).to_have_url(re.compile(r"/$"))

    # The server agrees after a reload.
    shown = post_ids(page)
    page.reload()
    assert post_ids(page) == shown


def test_the_counter_starts_over_after_posting(page: Page) -> None:
    sign_up(page, "counter")
    box, count, button = compose_box(page)
    box.fill("Hello")
    expect(count).to_have_text("195")
    button.click()
    expect(page.locator("#feed article.post")).to_have_count(1)
    expect(box).to_have_value("")
    expect(count).to_have_text("200", timeout=1_000)
    expect(button).to_be_disabled(timeout=500)


def test_the_first_post_replaces_the_empty_feed_message(page: Page) -> None:
    sign_up(page, "first_timer")
    expect(page.locator("#feed")).to_contain_text("Nothing here yet.")
    box, _, button = compose_box(page)
    box.fill("hello, world")
    button.click()
    expect(page.locator("#feed article.post")).to_have_count(1)
    expect(page.locator("#feed")).not_to_contain_text("Nothing here yet.", timeout=1_000)


def test_following_from_a_profile_toggles_in_place(page: Page, api: httpx.Client) -> None:
    bob = register(api, "bob")
    publish(api, bob, "bob's thoughts")
    follow(api, register(api, "carol"), "bob")

    sign_up(page, "alice")
    page.goto("/@bob")
    followers = page.locator("#followers-count")
    expect(followers).to_have_text("1 follower")
    expect(page.locator("#feed")).to_contain_text("bob's thoughts")
    mark_window(page)

    page.locator("#follow-box").get_by_role("button", name="Follow").click()
    expect(page.locator("#follow-box button")).to_have_text("Unfollow")
    expect(followers).to_have_text("2 followers")
    assert_not_reloaded(page)

    # It is real: a reload shows the same, and alice's profile counts bob.
    page.reload()
    expect(page.locator("#follow-box button")).to_have_text("Unfollow")
    expect(followers).to_have_text("2 followers")
    mark_window(page)

    page.locator("#follow-box").get_by_role("button", name="Unfollow").click()
    expect(page.locator("#follow-box button")).to_have_text("Follow")
    expect(followers).to_have_text("1 follower")
    assert_not_reloaded(page)


def test_the_timeline_shows_followed_posts(page: Page, api: httpx.Client) -> None:
    bob = register(api, "bob")
    carol = register(api, "carol")
    publish(api, bob, "bob: good morning")
    publish(api, carol, "carol: not followed")
    publish(api, bob, "bob: lunch time")

    sign_up(page, "alice")
    page.goto("/@bob")
    page.locator("#follow-box").get_by_role("button", name="Follow").click()
    expect(page.locator("#follow-box button")).to_have_text("Unfollow")

    page.locator("header.top").get_by_role("link", name="microblog").click()
    box, _, button = compose_box(page)
    box.fill("alice: hello everyone")
    button.click()
    feed = page.locator("#feed article.post .content")
    expect(feed).to_have_text(["alice: hello everyone", "bob: lunch time", "bob: good morning"])

    page.reload()
    expect(page.locator("nav.tabs a.active")).to_have_text("Timeline")
    expect(feed).to_have_text(["alice: hello everyone", "bob: lunch time", "bob: good morning"])
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.locator("nav.tabs").get_by_role("link", name="Following").click()
    expect(page.locator("nav.tabs a.active")).to_have_text("Following")
    expect(feed).to_have_text(["bob: lunch time", "bob: good morning"])

    page.locator("nav.tabs").get_by_role("link", name="All").click()
    expect(feed).to_have_text(
        ["alice: hello everyone", "bob: lunch time", "carol: not followed", "bob: good morning"]
    )


def test_load_more_appends_the_next_page(page: Page, api: httpx.Client) -> None:
    bob = register(api, "bob")
    created = [publish(api, bob, f"post number {i}") for i in range(45)]

    page.goto("/")
    articles = page.locator("#feed article.post")
    expect(articles).to_have_count(20)
    mark_window(page)

    more = page.get_by_role("link", name="Load more")
    more.click()
    expect(articles).to_have_count(40)
    more.click()
    expect(articles).to_have_count(45)
    expect(page.locator("#feed")).to_contain_text("You've reached the end.")
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    assert_not_reloaded(page)
    expect(page).to_have_url(re.compile(r"/$"))

    shown = post_ids(page)
    assert len(set(shown)) == len(shown), "a post is shown twice"
    assert shown == sorted(created, reverse=True)
    expect(articles.first.locator(".content")).to_have_text("post number 44")
    expect(articles.last.locator(".content")).to_have_text("post number 0")


def test_deleting_asks_first_then_removes_the_post(page: Page) -> None:
    sign_up(page, "deleter")
    box, _, button = compose_box(page)
    for text in ("keep me", "delete me"):
        box.fill(text)
        button.click()
        expect(page.locator("#feed article.post").first.locator(".content")).to_have_text(text)
    page.reload()
    mark_window(page)
    doomed = page.locator("#feed article.post", has_text="delete me")
    kept = page.locator("#feed article.post", has_text="keep me")

    messages: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    doomed.get_by_role("link", name="Delete", exact=True).click()
    assert messages == ["Delete this post? This cannot be undone."]
    page.wait_for_timeout(300)  # a request, if any had been sent, would be back by now
    expect(doomed).to_have_count(1)

    page.once("dialog", lambda dialog: dialog.accept())
    doomed.get_by_role("link", name="Delete", exact=True).click()
    expect(doomed).to_have_count(0)
    expect(kept).to_have_count(1)
    expect(page.locator("#flash")).to_be_empty()
    assert_not_reloaded(page)

    page.reload()
    expect(page.locator("#feed article.post .content")).to_have_text(["keep me"])


def test_replying_on_a_post_page(page: Page, api: httpx.Client) -> None:
    bob = register(api, "bob")
    post_id = publish(api, bob, "what do you think?")
    sign_up(page, "alice")
    page.goto(f"/posts/{post_id}")
    expect(page.locator(".focus .content")).to_have_text("what do you think?")
    mark_window(page)
    form = page.locator("form.compose")
    form.get_by_placeholder("Reply to @bob").fill("I agree")
    form.get_by_role("button", name="Reply").click()
    reply = page.locator("#replies article.post")
    expect(reply).to_have_count(1)
    expect(reply.locator(".content")).to_have_text("I agree")
    expect(reply.locator(".reply-to")).to_contain_text("replying to @bob")
    assert_not_reloaded(page)


def test_an_empty_post_cannot_be_sent(page: Page) -> None:
    sign_up(page, "blank")
    box, count, button = compose_box(page)
    expect(button).to_be_disabled()
    box.fill("   \n  ")
    expect(count).to_have_text("200")
    expect(button).to_be_disabled()


def test_without_javascript_an_empty_post_shows_an_error(new_page: NewPage) -> None:
    page = new_page(java_script_enabled=False)
    sign_up(page, "nojs")
    box = page.locator("form.compose textarea")
    box.fill("   ")
    page.locator("form.compose").get_by_role("button", name="Post").click()
    expect(page.locator("#flash .error")).to_have_text("Post text can't be empty")
    expect(page.locator("#flash .error")).to_be_visible()

    box = page.locator("form.compose textarea")
    box.fill("y" * 201)
    page.locator("form.compose").get_by_role("button", name="Post").click()
    expect(page.locator("#flash .error")).to_have_text(
        "Post text is 201 characters; the limit is 200"
    )
    expect(page.locator("form.compose textarea")).to_have_value("y" * 201)  # draft kept
    expect(page.locator("#feed article.post")).to_have_count(0)


def test_a_refused_post_says_why_and_keeps_the_draft(page: Page) -> None:
    sign_up(page, "forgetful")
    # Log out in another tab: this tab's session (and its CSRF token) is gone.
    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Log out").click()
    expect(other.locator("header.top")).to_contain_text("Log in")
    other.close()

    box, _, button = compose_box(page)
    box.fill("a thoughtful post I spent ten minutes on")
    with page.expect_response(lambda r: r.url.endswith("/posts")) as answer:
        button.click()
    assert 400 <= answer.value.status < 500
    expect(page.locator("#flash .error")).to_be_visible(timeout=1_000)
    expect(box).to_have_value("a thoughtful post I spent ten minutes on", timeout=500)


def test_emoji_count_as_one_character_each(page: Page) -> None:
    sign_up(page, "emoji")
    box, count, button = compose_box(page)
    box.fill("🙂" * 120)
    expect(count).to_have_text("80", timeout=1_000)
    expect(button).to_be_enabled(timeout=500)


def test_a_description_that_fits_the_box_is_saved(page: Page) -> None:
    sign_up(page, "poet")
    page.goto("/settings/profile")
    box = page.get_by_label("Description")
    expect(box).to_have_attribute("maxlength", "500")
    text = "\n".join(["x" * 49] * 10)  # 499 characters, 9 of them line breaks
    box.fill(text)
    assert box.evaluate("area => area.value.length") == 499
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/@poet$"), timeout=1_000)
