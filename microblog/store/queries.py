"""Loads the named SQL blocks of one ``store/sql/<file>.sql`` for the module that runs them.

Each storage module has its own namespace (``SQL = load("push")``, then ``SQL["floor"]``),
so two files may use the same block name and a block is found next to its only caller.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
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
def load(file: str, package: str = "microblog.store") -> Mapping[str, LiteralString]:
    """The blocks of ``<package>/sql/<file>.sql``. The files are our code, not data: literal SQL."""
    text = resources.files(package).joinpath("sql", f"{file}.sql").read_text()
    blocks: dict[str, LiteralString] = parse(text)
    return blocks
