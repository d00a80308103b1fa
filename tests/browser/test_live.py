"""Live pages in a real browser, across two browser contexts: one account posts, the other's
home shows "N new posts" without reloading and puts them on top on a click; the
notifications badge counts up live."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.helpers import assert_not_reloaded, mark_window, post_ids, sign_up
from tests.browser.test_newcomer import compose_box

pytestmark = pytest.mark.browser


def test_new_posts_banner_and_badge_across_two_browsers(new_page: NewPage) -> None:
    reader = new_page()
    writer = new_page()
    sign_up(writer, "writer")  # ends on the home page, with its compose box
    sign_up(reader, "reader")
    # The reader follows the writer, from the writer's profile.
    reader.goto("/@writer")
    reader.get_by_role("button", name="Follow").click()
    expect(reader.get_by_role("button", name="Unfollow")).to_be_visible()
    reader.goto("/")
    mark_window(reader)
    banner = reader.locator("#new-posts")
    expect(banner).to_be_hidden()
    before = post_ids(reader)
    reader.wait_for_timeout(300)  # the page's event stream is open

    for text in ("first live post", "second live post"):
        box, _, button = compose_box(writer)
        box.fill(text)
        button.click()
        expect(writer.locator("#feed")).to_contain_text(text)

    expect(banner).to_have_text("2 new posts")
    assert post_ids(reader) == before  # nothing moved under the reader's eyes
    banner.click()
    expect(banner).to_be_hidden()
    feed = reader.locator("#feed article.post")
    expect(feed.nth(0)).to_contain_text("second live post")
    expect(feed.nth(1)).to_contain_text("first live post")
    assert_not_reloaded(reader)

    # The writer follows back: the reader's badge shows one unread notification, live.
    writer.goto("/@reader")
    writer.get_by_role("button", name="Follow").click()
    expect(reader.locator("#unread-badge")).to_have_text("1")
    assert_not_reloaded(reader)
