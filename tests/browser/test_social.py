"""The social layer in a real browser: the post buttons swap the post in place (or say in
the message slot why they could not), the compose box's visibility choice, and the unread
notifications count in the top bar."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    assert_not_reloaded,
    mark_window,
    post_ids,
    publish,
    register,
    sign_up,
)

pytestmark = pytest.mark.browser


def test_favourite_and_boost_update_the_post_in_place(page: Page, api: httpx.Client) -> None:
    token = register(api, "poster")
    post_id = publish(api, token, "boost me, please")
    sign_up(page, "reader")
    page.goto("/?mode=all")
    post = page.locator(f"#post-{post_id}")
    mark_window(page)

    post.get_by_role("button", name=re.compile(r"^Favourite 0$")).click()
    expect(post.get_by_role("button", name=re.compile(r"^Unfavourite 1$"))).to_be_visible()
    post.get_by_role("button", name=re.compile(r"^Boost 0$")).click()
    expect(post.get_by_role("button", name=re.compile(r"^Unboost 1$"))).to_be_visible()
    post.get_by_role("button", name="Bookmark").click()
    expect(post.get_by_role("button", name="Unbookmark")).to_be_visible()
    expect(post.get_by_role("button", name=re.compile(r"^Unfavourite 1$"))).to_be_visible()
    post.get_by_role("button", name=re.compile(r"^Unfavourite 1$")).click()
    expect(post.get_by_role("button", name=re.compile(r"^Favourite 0$"))).to_be_visible()
    assert_not_reloaded(page)
    expect(page).to_have_url(re.compile(r"/\?mode=all$"))
    expect(page.locator("#flash")).to_be_empty()

    # The server agrees after a reload; the boost is on the reader's own timeline.
    page.reload()
    expect(post.get_by_role("button", name=re.compile(r"^Unboost 1$"))).to_be_visible()
    page.goto("/?mode=timeline")
    boost = page.locator("#feed article.post.boost")
    expect(boost).to_have_count(1)
    expect(boost.locator(".boosted-by")).to_have_text("↻ @reader boosted")
    expect(boost.locator(".content")).to_have_text("boost me, please")


def test_acting_on_a_post_deleted_meanwhile_shows_why(page: Page, api: httpx.Client) -> None:
    token = register(api, "fickle")
    other_id = publish(api, token, "here to stay")
    post_id = publish(api, token, "here one moment")
    sign_up(page, "late")
    page.goto("/?mode=all")
    post = page.locator(f"#post-{post_id}")
    expect(post).to_be_visible()
    deleted = api.delete(
        f"/api/v1/statuses/{post_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert deleted.status_code == 200, deleted.text
    mark_window(page)
    post.get_by_role("button", name=re.compile(r"^Boost")).click()
    expect(page.locator("#flash")).to_have_text("No such post")
    expect(post).to_be_visible()  # left as it was; the message says why nothing happened
    # The next button that works clears the message.
    other = page.locator(f"#post-{other_id}")
    other.get_by_role("button", name=re.compile(r"^Favourite")).click()
    expect(other.get_by_role("button", name=re.compile(r"^Unfavourite 1$"))).to_be_visible()
    expect(page.locator("#flash")).to_be_empty()
    assert_not_reloaded(page)


def test_the_visibility_choice_goes_with_the_post(page: Page) -> None:
    sign_up(page, "chooser")
    form = page.locator("form.compose")
    form.locator("textarea").fill("just for my followers")
    form.get_by_label("Who can see it").select_option(label="Followers only")
    form.get_by_role("button", name="Post").click()
    fresh = page.locator("#feed article.post").first
    expect(fresh.locator(".visibility")).to_have_text("Followers only")
    expect(form.get_by_label("Who can see it")).to_have_value("public")  # reset for the next
    page.reload()
    expect(page.locator("#feed article.post .visibility")).to_have_text("Followers only")


def test_the_unread_count_shows_a_mention_until_it_is_read(page: Page, api: httpx.Client) -> None:
    sign_up(page, "mentioned")
    link = page.locator("header.top").get_by_role("link", name=re.compile("^Notifications"))
    expect(link).to_have_text("Notifications")
    token = register(api, "talker")
    mention = publish(api, token, "hello @mentioned, welcome")
    page.goto("/")
    expect(link.locator(".badge")).to_have_text("1")

    link.click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    expect(page.locator(".notification .what").first).to_contain_text("@talker mentioned you")
    assert post_ids(page, "#notifications") == [mention]
    expect(page.locator(".notification a.mention")).to_have_attribute("href", "/@mentioned")
    expect(link.locator(".badge")).to_have_count(0)
    page.goto("/")
    expect(link).to_have_text("Notifications")
    expect(link.locator(".badge")).to_have_count(0)
