"""The dispatch path stays a set of small steps that know no command by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from handlers import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
DISPATCH_PATH = sorted(
    [
        ROOT / "bot" / "dispatch.py",
        ROOT / "bot" / "lanes.py",
        *(ROOT / "bot" / "pipeline").glob("*.py"),
    ]
)
MOST_LINES = 250


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _strings(tree: ast.AST) -> list[str]:
    """The string constants of the code: docstrings (prose about commands) left out."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
        if isinstance(node, ast.ClassDef | ast.Module):
            # attribute docstrings: a bare string right after an assignment
            for before, after in zip(node.body, node.body[1:], strict=False):
                if isinstance(before, ast.Assign | ast.AnnAssign) and isinstance(after, ast.Expr):
                    docstrings.add(id(after.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_the_dispatch_path_is_split_into_its_steps() -> None:
    names = {p.name for p in DISPATCH_PATH}
    steps = {"parse", "policy", "room", "targets", "rank", "plan", "run", "reply"}
    assert {f"{s}.py" for s in steps} <= names
    assert "lanes.py" in names


@pytest.mark.parametrize("path", DISPATCH_PATH, ids=_ids(DISPATCH_PATH))
def test_each_module_of_the_dispatch_path_is_short(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MOST_LINES, f"{path.name} has {lines} lines"


@pytest.mark.parametrize("path", DISPATCH_PATH, ids=_ids(DISPATCH_PATH))
def test_no_module_of_the_dispatch_path_names_a_command(path: Path) -> None:
    commands = {c.name for c in COMMANDS}
    named = commands & set(_strings(ast.parse(path.read_text(encoding="utf-8"))))
    assert not named, f"{path.name} names {sorted(named)}: say it with a Command property"
