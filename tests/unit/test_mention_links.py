"""Mentions in a post's HTML: known accounts linked, everything else escaped."""

from __future__ import annotations

from microblog.domain.models import Mention
from microblog.web.mastodon import mention_links


def test_known_mentions_link_to_profiles_in_their_own_case() -> None:
    html = mention_links("hi @BOB and @nobody", [Mention(7, "bob")], "https://mb.example")
    assert html == (
        'hi <span class="h-card" translate="no"><a href="https://mb.example/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> and @nobody'
    )


def test_text_around_mentions_is_escaped_and_lines_kept() -> None:
    html = mention_links("<b>@ann</b>\n&", [Mention(1, "ann")], "")
    assert html.startswith("&lt;b&gt;<span")
    assert 'href="/@ann"' in html
    assert html.endswith("&lt;/b&gt;<br>&amp;")
