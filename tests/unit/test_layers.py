"""Imports point one way: web -> service -> feeds -> store -> domain, and no package cycles.

Read from the source with ``ast`` (imports under ``TYPE_CHECKING`` count too: a type is
still a dependency of the reader who has to understand it).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "microblog"

# Lower number, lower layer. A unit may import only units of a lower (or its own) layer.
LAYERS = {
    "domain": 0,
    "settings": 1,
    "passwords": 1,
    "seeding": 1,
    "store": 2,
    "feeds": 3,
    "credentials": 3,  # grants of tokens and sessions remembered, dropped when revoked
    "jobs": 4,
    "service": 4,
    "social": 4,
    "apps": 4,
    "search": 4,
    "live": 4,
    "editing": 4,
    "web": 5,
    "runtime": 6,
    "app": 7,
    "feed_tools": 7,
    "demo": 7,  # `make run`'s demo, played through the service on the runtime
    "bench": 8,
    "cluster": 8,  # `make cluster`: the scaled-out topology, rehearsed on one machine
    "devserver": 10,  # `make run`: starts PostgreSQL, then the CLI
    "cli": 9,
}


def unit_of(path: Path) -> str:
    """The package (or top-level module) a source file belongs to."""
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def imported_units(path: Path) -> set[str]:
    """The microblog units a file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "microblog" and len(parts) > 1:
                found.add(parts[1])
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts or (path.name == "__init__.py" and path.parent == ROOT):
            continue
        unit = unit_of(path)
        edges.setdefault(unit, set()).update(imported_units(path) - {unit})
    return edges


def test_every_unit_has_a_layer() -> None:
    assert set(graph()) - {"migrations"} <= set(LAYERS), set(graph()) - set(LAYERS)


def test_no_unit_imports_one_above_it() -> None:
    wrong = [
        f"{unit} imports {other}"
        for unit, others in sorted(graph().items())
        for other in sorted(others)
        if other in LAYERS and LAYERS[other] > LAYERS[unit]
    ]
    assert not wrong, wrong


def test_no_package_level_import_cycle() -> None:
    edges = graph()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, set()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = [unit for unit in edges if reaches(unit, unit, {unit})]
    assert not cycles, cycles


def test_the_web_reaches_storage_only_through_the_service() -> None:
    assert not graph()["web"] & {"store", "feeds", "jobs"}
