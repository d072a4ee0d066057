"""docs/architecture.md names real things: every path it gives exists, and every
`file.py:Name` or `file.py:Class.method` step of the flows is defined in that file.

The doc is what a newcomer reads to find the MO and MT flows; a renamed module or
function must take the doc with it, or this fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "kodeord"
DOC = ROOT / "docs" / "architecture.md"

# `app/mo/intake.py`, `adapters/db/`, `app/mo/intake.py:InboundReceiver.receive`
REFERENCE = re.compile(r"`((?:[a-z_]+/)*[a-z_]+(?:\.py|/))(?::([A-Za-z_][\w.]*))?`")
# what the doc means by paths outside src/kodeord
OUTSIDE = ("tests/", "docs/", "bench/", "scripts/")


def references() -> list[tuple[str, str | None]]:
    text = DOC.read_text(encoding="utf-8")
    return sorted({(m.group(1), m.group(2)) for m in REFERENCE.finditer(text)}, key=str)


def where(path: str) -> Path:
    return ROOT / path if path.startswith(OUTSIDE) else PACKAGE / path


def defined(tree: ast.Module, dotted: str) -> bool:
    """Whether `Name` or `Class.method` (or a nested function of it) is defined."""
    scope: list[ast.stmt] = list(tree.body)
    for name in dotted.split("."):
        found = next(
            (
                node
                for node in scope
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name == name
            ),
            None,
        )
        if found is None:
            return False
        scope = list(ast.walk(found))[1:]  # nested definitions count (a handler's closure)
    return True


def test_the_doc_names_files_and_flows() -> None:
    found = references()
    assert len(found) > 60  # the package map and both flows
    assert sum(1 for _, name in found if name) > 25


@pytest.mark.parametrize(("path", "name"), references())
def test_each_named_path_and_step_exists(path: str, name: str | None) -> None:
    target = where(path)
    assert target.exists(), f"{path} does not exist"
    if name is not None:
        tree = ast.parse(target.read_text(encoding="utf-8"))
        assert defined(tree, name), f"{path} defines no {name}"
