"""Adding a command = its module (and its sentences' module, ``bot/replies/<command>.py``) +
one line in ``handlers/__init__.py``.

Every place a command's name is spelled in the core (``bot/``, without its test doubles and
its frozen migrations) is listed here, and each handler module spells no other command's name
than its own (nor does its sentences' module: pointers to other commands are in one module).
What the core still spells is the allow-list below, each entry saying why; a new spelling
anywhere fails this test (declare it on the ``Command`` instead), and so does an entry that is
no longer needed (shrink the list).

A name is "spelled" by a string literal that is the name (``"kick"``), a command word in a
sentence (``"/kick"``) or a policy key (``policy.commands.kick``). Docstrings, dictionary keys
and subscripts (SQL parameters, JSON fields: ``{"case": 1}``, ``row["undo"]``) are not, except
the keys of a ``commands`` map (a policy written in code).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from handlers import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
NAMES = tuple(c.name for c in COMMANDS)

# (module, command name) -> how many times it is spelled there, and why that is left.
ALLOWED: dict[tuple[str, str], int] = {
    # Sentences that point the reader to another command ("answer /confirm 12"): spelled once
    # each, in bot/replies/pointers.py (a command's own sentences, bot/replies/<command>.py,
    # name it).
    ("bot/replies/pointers.py", "help"): 1,
    ("bot/replies/pointers.py", "case"): 1,
    ("bot/replies/pointers.py", "confirm"): 1,
    ("bot/replies/pointers.py", "cancel"): 1,
    ("bot/replies/pointers.py", "jobs"): 1,
    ("bot/replies/pointers.py", "undo"): 1,
    ("bot/settings.py", "confirm"): 2,  # the bulk section's field descriptions
    ("bot/entitlement.py", "kick"): 1,  # owners_may_act_on_owners's description names each
    ("bot/entitlement.py", "demote"): 1,  # command's own default
    ("bot/entitlement.py", "undo"): 1,  # undo_window_minutes's description
    ("bot/cli_audit.py", "case"): 1,  # `kickbot audit`'s message names /case
    ("bot/scim/settings.py", "confirm"): 1,  # confirm_by's description
    ("bot/scim/storage.py", "undo"): 1,  # a reactivation's log line names /undo as the way back
    # Not kickbot's commands: words that happen to be the same.
    ("bot/audit/verify.py", "case"): 2,  # the audit chain's record kind "case" (and "result")
    ("bot/audit/export.py", "case"): 1,  # the export's column of case numbers
    ("bot/streaming/cef.py", "case"): 2,  # the record kind "case"; the CEF label of case numbers
    ("bot/store/cases.py", "case"): 2,  # that record kind, and an SQL parameter's prefix
    ("bot/grammar.py", "case"): 1,  # a case number argument's placeholder: "/undo [case]"
    ("bot/store/schema.py", "undo"): 1,  # the results table's undo column
    ("bot/platforms/matrix/adapter.py", "kick"): 2,  # Matrix's own "kick" power level and endpoint
    ("bot/platforms/rocketchat/config.py", "kick"): 2,  # Rocket.Chat's built-in /kick
    ("bot/platforms/rocketchat/adapter.py", "kick"): 1,  # its endpoints groups.kick, channels.kick
}
"""Allowed spellings in the core, counted."""

OWN_MODULE_ALLOWED: dict[tuple[str, str], int] = {
    # A case number argument's placeholder ("/cancel <case>"), not the /case command.
    ("handlers/cancel.py", "case"): 1,
    ("handlers/confirm.py", "case"): 1,
    ("handlers/undo.py", "case"): 1,
}
"""Allowed spellings of another command's name in a handler module, counted."""

SKIPPED = ("bot/testing/", "bot/migrations/")
"""Test doubles and demo worlds (they play users typing commands); migrations are history and
are never edited."""


def _pattern(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile(rf"^{n}$|(?<![\w/.-])/{n}(?![\w-])|commands\.{n}(?![\w-])")


PATTERNS = {name: _pattern(name) for name in NAMES}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in node.body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    found.add(id(statement.value))
    # A string right after an assignment documents it (attribute docstrings).
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for before, statement in itertools.pairwise(body):
            if (
                isinstance(before, ast.Assign | ast.AnnAssign)
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
            ):
                found.add(id(statement.value))
    return found


def _keys_not_about_commands(tree: ast.AST) -> set[int]:
    """String constants used as dict keys or subscripts, except the keys of a ``commands``
    map (``{"commands": {"kick": …}}``, ``policy.commands["kick"]``)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value == "commands":
                    continue  # its value's keys are command names: counted
                if key is not None:
                    skip.add(id(key))
        elif isinstance(node, ast.Subscript):
            target = node.value
            about_commands = isinstance(target, ast.Attribute) and target.attr == "commands"
            if isinstance(node.slice, ast.Constant) and not about_commands:
                skip.add(id(node.slice))
    for node in ast.walk(tree):  # the keys under a "commands" key are counted again
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                named = isinstance(key, ast.Constant) and key.value == "commands"
                if named and isinstance(value, ast.Dict):
                    skip.difference_update(id(k) for k in value.keys)
    return skip


def spellings(path: Path) -> Iterator[tuple[str, int]]:
    """(command name, line) for each place ``path`` spells a command's name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ignored = _docstrings(tree) | _keys_not_about_commands(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in ignored
        ):
            for name, pattern in PATTERNS.items():
                if pattern.search(node.value):
                    yield name, node.lineno


def _modules(top: str) -> list[Path]:
    return [
        p
        for p in sorted((ROOT / top).rglob("*.py"))
        if not p.relative_to(ROOT).as_posix().startswith(SKIPPED)
    ]


def _count(
    paths: list[Path], own: dict[Path, str] | None = None
) -> tuple[Counter[tuple[str, str]], list[str]]:
    counted: Counter[tuple[str, str]] = Counter()
    where: list[str] = []
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        for name, lineno in spellings(path):
            if own is not None and own.get(path) == name:
                continue  # a command's own module names it
            counted[(rel, name)] += 1
            where.append(f"{rel}:{lineno}: {name}")
    return counted, where


def _own_sentences() -> dict[Path, str]:
    """``bot/replies/<command>.py``: a command's sentences, which name it."""
    replies = ROOT / "bot" / "replies"
    return {replies / f"{c.name.replace('-', '_')}.py": c.name for c in COMMANDS}


def test_the_core_spells_no_command_name_outside_its_allow_list() -> None:
    counted, where = _count(_modules("bot"), _own_sentences())
    assert dict(counted) == ALLOWED, "\n".join(where)


def test_a_handler_module_spells_only_its_own_command_name() -> None:
    own = {ROOT / "handlers" / f"{c.name.replace('-', '_')}.py": c.name for c in COMMANDS}
    assert all(p.is_file() for p in own), "one module per command, named after it"
    counted, where = _count(_modules("handlers"), own)
    assert dict(counted) == OWN_MODULE_ALLOWED, "\n".join(where)


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan itself: each kind of spelling is found, each kind of non-spelling is not."""
    source = '''
"""A docstring naming /kick."""
if name == "kick":
    pass
RULE = {"commands": {"demote": {}}}
policy.commands["undo"] = rule
text = "run /offboard first"
hint = "policy.commands.jobs.users"
params = {"case": 1}
value = row["undo"]
word = "kickbot"
'''
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    found = sorted(name for name, _ in spellings(probe))
    assert found == ["demote", "jobs", "kick", "offboard", "undo"]
