"""The dispatch path stays a set of small steps (that they name no command:
``tests/test_command_names.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_the_dispatch_path_is_split_into_its_steps() -> None:
    names = {p.name for p in DISPATCH_PATH}
    steps = {"parse", "policy", "room", "targets", "rank", "plan", "run", "reply"}
    assert {f"{s}.py" for s in steps} <= names
    assert "lanes.py" in names


@pytest.mark.parametrize("path", DISPATCH_PATH, ids=_ids(DISPATCH_PATH))
def test_each_module_of_the_dispatch_path_is_short(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MOST_LINES, f"{path.name} has {lines} lines"
