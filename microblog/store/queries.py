"""Loads the named SQL blocks of ``store/sql/*.sql`` once; the storage modules run them."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import LiteralString

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def parse(text: str) -> dict[str, str]:
    """Split a file into ``{name: sql}`` at each ``-- name: <name>`` line."""
    parts = _NAME.split(text)
    blocks: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in blocks:
            raise ValueError(f"duplicate SQL block {name!r}")
        blocks[name] = body.strip()
    return blocks


@functools.cache
def _all() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for entry in resources.files("microblog.store").joinpath("sql").iterdir():
        if entry.name.endswith(".sql"):
            for name, body in parse(entry.read_text()).items():
                if name in blocks:
                    raise ValueError(f"SQL block {name!r} is defined twice")
                blocks[name] = body
    return blocks


def q(name: str) -> LiteralString:
    """The SQL of one named block. The files are our code, not data: literal SQL."""
    return _all()[name]
