"""The SQL files parse into named blocks; every block the code names exists in its file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from microblog.store.queries import load, parse

ROOT = Path(__file__).resolve().parents[2] / "microblog"


def test_parse_splits_named_blocks() -> None:
    blocks = parse("-- name: a\nSELECT 1;\n\n-- name: b\n-- comment\nSELECT 2;\n")
    assert blocks == {"a": "SELECT 1;", "b": "-- comment\nSELECT 2;"}


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


def test_every_named_query_in_the_code_exists_in_its_own_file() -> None:
    checked = 0
    for path in sorted((ROOT / "store").glob("*.py")):
        text = path.read_text()
        loaded = re.search(r'^SQL = load\("(\w+)"\)$', text, re.MULTILINE)
        used = set(re.findall(r'SQL\["(\w+)"\]', text))
        if not used or path.name == "queries.py":  # the loader's docstring shows the idiom
            continue
        assert loaded is not None, f"{path.name} names SQL blocks without loading a file"
        blocks = load(loaded.group(1))
        for name in sorted(used):
            assert name in blocks, f"{path.name}: no block {name!r} in {loaded.group(1)}.sql"
            checked += 1
    assert checked > 40, "the pattern found too few query names"


def test_two_files_may_use_the_same_block_name() -> None:
    assert "forget" in load("push")
    assert "page" in load("push") and "page" in load("matview")
    assert load("push")["page"] != load("matview")["page"]
