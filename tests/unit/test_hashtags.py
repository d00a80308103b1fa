"""Hashtags in a post's text: which ``#words`` are tags, their stored names, and their links."""

from __future__ import annotations

import pytest

from microblog.domain import rules
from microblog.domain.models import Mention
from microblog.web.mastodon import mention_links


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#python is fun", ["python"]),
        ("I like #Python and #python and #PYTHON", ["python"]),
        ("#one #two\n#three", ["one", "two", "three"]),
        ("ends with a tag #last", ["last"]),
        ("(#inparens) and #tag, #tag2. #tag_3!", ["inparens", "tag", "tag2", "tag_3"]),
        ("#2024 has no letter, #2024b has", ["2024b"]),
        ("#_ #__x", ["__x"]),
        ("#café and #日本語 and #Straße", ["café", "日本語", "straße"]),
        ("fullwidth #\uff34\uff41\uff47 is NFKC", ["tag"]),
    ],
)
def test_hashtags_are_found_normalised_and_distinct(text: str, tags: list[str]) -> None:
    assert rules.hashtags(text) == tags


@pytest.mark.parametrize(
    "text",
    [
        "no tags here",
        "word#notatag",
        "https://example.com/#fragment",
        "https://example.com/page#section",
        "a/#path",
        "(x)#after_paren",
        "#123 #4_5",
        "# space",
        "&#39; is an entity",
    ],
)
def test_no_hashtag_inside_words_urls_or_without_a_letter(text: str) -> None:
    assert rules.hashtags(text) == []


def test_a_tag_over_100_characters_is_no_tag() -> None:
    assert rules.hashtags("#" + "a" * 100) == ["a" * 100]
    assert rules.hashtags("#" + "a" * 101) == []


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Python", "python"),
        ("#Python", "python"),
        ("\uff50\uff59", "py"),
        ("2024", None),
        ("has space", None),
        ("dash-ed", None),
        ("", None),
        ("x" * 101, None),
    ],
)
def test_tag_name_normalises_or_refuses(raw: str, name: str | None) -> None:
    assert rules.tag_name(raw) == name


def test_known_hashtags_link_to_their_pages_as_mastodon_writes_them() -> None:
    html = mention_links("I like #Python, not #java", [], "https://mb.example", ["python"])
    assert html == (
        'I like <a href="https://mb.example/tags/python" class="mention hashtag" rel="tag">'
        "#<span>Python</span></a>, not #java"
    )


def test_pages_link_hashtags_on_the_site_and_non_ascii_names_are_quoted() -> None:
    html = mention_links("#Café time", [], "", ["café"])
    assert html.startswith('<a href="/tags/caf%C3%A9" class="mention hashtag" rel="tag">')
    assert "#<span>Café</span></a> time" in html


def test_mentions_and_hashtags_together_with_the_text_escaped() -> None:
    html = mention_links("<b>@ann</b> & #Tag's\n#x", [Mention(1, "ann")], "", ["tag", "x"])
    assert html == (
        '&lt;b&gt;<span class="h-card" translate="no"><a href="/@ann" class="u-url mention">'
        "@<span>ann</span></a></span>&lt;/b&gt; &amp; "
        '<a href="/tags/tag" class="mention hashtag" rel="tag">#<span>Tag</span></a>'
        '&#x27;s<br><a href="/tags/x" class="mention hashtag" rel="tag">#<span>x</span></a>'
    )


def test_an_escaped_quote_is_never_taken_for_a_hashtag() -> None:
    # html.escape writes ' as &#x27;: linking works on the text, not on its escaped form.
    assert "hashtag" not in mention_links("it's", [], "", ["x27"])
