"""``rules.storable``: the one check of what no text may hold, and the rules that use it."""

from __future__ import annotations

import pytest

from microblog.domain import rules, scopes
from microblog.domain.errors import Invalid

REFUSED = [
    ("\x00", "NUL"),
    ("\x01", "the control character U+0001"),
    ("\x0b", "the control character U+000B"),
    ("\x1f", "the control character U+001F"),
    ("\x7f", "the control character U+007F"),
    ("\x85", "the control character U+0085"),
    ("\ud800", "a lone surrogate, U+D800"),
    ("\udfff", "a lone surrogate, U+DFFF"),
    ("\ufdd0", "the noncharacter U+FDD0"),
    ("\ufdef", "the noncharacter U+FDEF"),
    ("\ufffe", "the noncharacter U+FFFE"),
    ("\uffff", "the noncharacter U+FFFF"),
    ("\U0001fffe", "the noncharacter U+1FFFE"),
    ("\U0010ffff", "the noncharacter U+10FFFF"),
]


@pytest.mark.parametrize(("char", "name"), REFUSED)
def test_refused_characters_are_named(char: str, name: str) -> None:
    with pytest.raises(Invalid) as caught:
        rules.storable(f"ab{char}cd{char}", "note", "Description")
    assert str(caught.value) == f"Description contains a character that can't be stored ({name})"
    assert caught.value.field == "note"


def test_the_field_names_the_text_without_a_label() -> None:
    with pytest.raises(Invalid, match=r"^acct contains a character that can't be stored \(NUL\)$"):
        rules.storable("a\x00b", "acct")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "tab\there",
        "lines\nand\r\nmore",
        "é ü ß ñ",
        "\u00a0nbsp",
        "🎉 \U0001f600",
        "\ufffd",
        "\ufdcf\ufdf0\ufffd",
    ],
)
def test_everything_else_passes_unchanged(text: str) -> None:
    assert rules.storable(text, "status") is text


def test_the_rules_refuse_them_with_their_own_labels() -> None:
    cases = [
        (lambda: rules.post_content("hi\x00"), "Post text contains"),
        (lambda: rules.description("hi\x00"), "Description contains"),
        (lambda: rules.username("bob\x00"), "Username contains"),
        (lambda: rules.password("long enough\x00"), "Password contains"),
        (lambda: scopes.parse("read\x00"), "scope contains"),
    ]
    for call, start in cases:
        with pytest.raises(Invalid) as caught:
            call()
        assert str(caught.value).startswith(start), str(caught.value)
