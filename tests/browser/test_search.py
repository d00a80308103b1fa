"""Search in a real browser: the search box in the page header, the results page, and a
hashtag's page reached from the results."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage
from tests.browser.helpers import post_ids, publish, register, sign_up

pytestmark = pytest.mark.browser


def test_search_from_the_header_box(page: Page, api: httpx.Client) -> None:
    token = register(api, "poster")
    post_id = publish(api, token, "Looking for #Owls tonight")
    publish(api, token, "nothing to see here")
    register(api, "owlfan")
    sign_up(page, "reader")

    box = page.locator("header.top").get_by_role("searchbox", name="Search", exact=True)
    box.fill("owl")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=owl$"))
    expect(page.locator("#accounts")).to_contain_text("@owlfan")
    expect(page.locator("#hashtags")).to_contain_text("#owls")
    expect(page.locator("#feed")).to_contain_text("No posts found.")  # "owl" is not "owls"

    box = page.locator("header.top").get_by_role("searchbox", name="Search", exact=True)
    box.fill("tonight")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=tonight$"))
    assert post_ids(page) == [post_id]
    expect(page.locator(f"#post-{post_id} .content")).to_have_text("Looking for #Owls tonight")
    expect(page.get_by_role("searchbox", name="Search for")).to_have_value("tonight")

    # From the results to the hashtag's page.
    box.fill("#ow")
    box.press("Enter")
    page.locator("#hashtags").get_by_role("link", name="#owls").click()
    page.wait_for_url(re.compile(r"/tags/owls$"))
    expect(page.locator("h1")).to_have_text("#owls")
    assert post_ids(page) == [post_id]


def test_visitors_search_without_javascript(new_page: NewPage, api: httpx.Client) -> None:
    page = new_page(java_script_enabled=False)
    token = register(api, "lark")
    publish(api, token, "a #larks song")
    page.goto("/")
    box = page.locator("header.top").get_by_role("searchbox", name="Search", exact=True)
    box.fill("lar")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=lar$"))
    expect(page.locator("#accounts")).to_contain_text("@lark")
    expect(page.locator("#hashtags")).to_contain_text("#larks")
    expect(page.locator("#posts-need-login")).to_have_text("Log in to search posts.")
    # An empty search says what to type.
    page.get_by_role("searchbox", name="Search for").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-hint")).to_be_visible()
