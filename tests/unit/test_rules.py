"""Input rules and cursor parsing (no I/O)."""

from __future__ import annotations

import pytest

from microblog.domain import rules
from microblog.domain.errors import Invalid


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello", "hello"),
        ("  padded  ", "padded"),
        ("x" * 200, "x" * 200),
        (" " + "é" * 200, "é" * 200),
    ],
)
def test_post_content_accepts_and_trims(raw: str, expected: str) -> None:
    assert rules.post_content(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "x" * 201, None, 5])
def test_post_content_rejects(raw: object) -> None:
    with pytest.raises(Invalid):
        rules.post_content(raw)


@pytest.mark.parametrize("raw", ["alice", "Bob_2", "a" * 30])
def test_username_accepts(raw: str) -> None:
    assert rules.username(raw) == raw


@pytest.mark.parametrize("raw", ["", "a" * 31, "al ice", "ali-ce", "ålice", None, "a;drop"])
def test_username_rejects(raw: object) -> None:
    with pytest.raises(Invalid):
        rules.username(raw)


@pytest.mark.parametrize("raw", ["1", "42", str(2**63 - 1)])
def test_object_id_accepts(raw: str) -> None:
    assert rules.object_id(raw) == int(raw)


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "", str(2**63), "9" * 30, "١٢", None])
def test_object_id_rejects(raw: object) -> None:
    with pytest.raises(Invalid):
        rules.object_id(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 20), ("", 20), ("5", 5), ("40", 40), ("41", 40), ("9" * 30, 40)]
)
def test_limit_defaults_and_clamps(raw: str | None, expected: int) -> None:
    assert rules.limit(raw, 20, 40) == expected


@pytest.mark.parametrize("raw", ["0", "-3", "abc", "2.5"])
def test_limit_rejects(raw: str) -> None:
    with pytest.raises(Invalid):
        rules.limit(raw, 20, 40)


def test_password_and_description_limits() -> None:
    assert rules.password("12345678") == "12345678"
    with pytest.raises(Invalid):
        rules.password("short")
    assert rules.description(None) == ""
    assert rules.description("  hi  ") == "hi"
    with pytest.raises(Invalid):
        rules.description("x" * 501)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("hi @bob", ["bob"]),
        ("@alice and @Bob, then @alice again and @BOB", ["alice", "Bob"]),
        ("(@carol) @dan! @erin.", ["carol", "dan", "erin"]),
        ("mail me at ann@example.com", []),
        ("see https://host/@frank or @@gina", []),
        ("@" + "h" * 31, []),  # longer than a username can be
        ("no mentions here", []),
    ],
)
def test_mentioned_names(text: str, names: list[str]) -> None:
    assert rules.mentioned_names(text) == names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "public"), ("", "public"), ("unlisted", "unlisted"), ("private", "private")],
)
def test_visibility_defaults_to_public(raw: object, expected: str) -> None:
    assert rules.visibility(raw).value == expected


@pytest.mark.parametrize("raw", ["Public", "followers", "limited", 3, ["direct"]])
def test_visibility_refuses_unknown_levels(raw: object) -> None:
    with pytest.raises(Invalid) as caught:
        rules.visibility(raw)
    assert caught.value.field == "visibility"
