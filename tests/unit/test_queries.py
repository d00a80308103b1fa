"""The SQL files parse into named blocks; every block the code names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from microblog.store.queries import parse, q

ROOT = Path(__file__).resolve().parents[2] / "microblog"


def test_parse_splits_named_blocks() -> None:
    blocks = parse("-- name: a\nSELECT 1;\n\n-- name: b\n-- comment\nSELECT 2;\n")
    assert blocks == {"a": "SELECT 1;", "b": "-- comment\nSELECT 2;"}


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


def test_every_named_query_in_the_code_exists() -> None:
    used: set[str] = set()
    pattern = re.compile(r'\b(?:one|all_rows|execute|ordered|q|_ids)\(\s*(?:conn,\s*)?"(\w+)"')
    for path in (ROOT / "store").glob("*.py"):
        used |= set(pattern.findall(path.read_text()))
    assert used, "the pattern found no query names"
    for name in sorted(used):
        assert q(name).strip(), name
