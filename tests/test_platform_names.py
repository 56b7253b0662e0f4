"""Adding a platform is its package and one registry line: no other product module spells a
platform's name (as a string or an identifier; comments and docstrings may describe one)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from bot.platforms import PLUGINS

ROOT = Path(__file__).resolve().parents[1]

SPELLINGS = re.compile(
    "|".join(
        sorted(
            {re.escape(w.lower()) for p in PLUGINS for w in (p.name, *p.display_name.split())}
            - {"amazon", "sdk"},  # words of display names that name no platform
            key=len,
            reverse=True,
        )
    ),
    re.IGNORECASE,
)
"""Each platform's name and the words of its display name ("Rocket.Chat", "Chime")."""

ALLOWED: dict[tuple[str, str], str] = {
    # Each remaining place, with why it stays for now. Remove an entry with the place.
    ("bot/platforms/__init__.py", "chime"): "the registry",
    ("bot/platforms/__init__.py", "chime_sdk"): "the registry",
    ("bot/platforms/__init__.py", "matrix"): "the registry",
    ("bot/platforms/__init__.py", "rocketchat"): "the registry",
    ("bot/platforms/__init__.py", "slack"): "the registry",
    ("bot/platforms/__init__.py", "symphony"): "the registry",
}


_KINDS = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
"""Identifiers and strings (from Python 3.12 an f-string's text is its own token)."""


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:
                if (
                    isinstance(stmt, ast.Expr)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    end = stmt.end_lineno or stmt.lineno
                    lines.update(range(stmt.lineno, end + 1))
    return lines


def _product_files() -> list[Path]:
    own = {ROOT / "bot" / "platforms" / name for name in PLUGINS.names}
    files = []
    for top in ("bot", "handlers"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if ROOT / "bot" / "testing" in path.parents or own & set(path.parents):
                continue
            files.append(path)
    return files


def spelled() -> dict[tuple[str, str], list[int]]:
    """Where a platform's name is spelled in product code: (file, spelling) -> lines."""
    found: dict[tuple[str, str], list[int]] = {}
    for path in _product_files():
        text = path.read_text(encoding="utf-8")
        docstrings = _docstring_lines(ast.parse(text))
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in _KINDS:
                continue
            if token.start[0] in docstrings:
                continue
            for match in SPELLINGS.finditer(token.string):
                key = (path.relative_to(ROOT).as_posix(), match.group(0).lower())
                found.setdefault(key, []).append(token.start[0])
    return found


def test_only_the_registry_and_the_packages_spell_a_platform_name() -> None:
    found = spelled()
    unexpected = {key: lines for key, lines in found.items() if key not in ALLOWED}
    assert unexpected == {}, "a platform's name spelled outside its package and the registry"
    # Each allowed place is named by file and platform; the lines are in the failure above.
    stale = sorted(set(ALLOWED) - set(found))
    assert stale == [], "allowed places that no longer spell a platform's name: drop them"


def test_the_scan_finds_a_name_spelled_in_product_code() -> None:
    """The scan itself: a string and an identifier are found, a comment and a docstring not."""
    assert SPELLINGS.search("RocketChatPlatform")
    assert SPELLINGS.search("'Amazon Chime'")
    source = '"""Slack."""\n# matrix\nX = "slack"\nsymphony_pod = 1\n'
    tree = ast.parse(source)
    hits = [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type in (tokenize.NAME, tokenize.STRING)
        and t.start[0] not in _docstring_lines(tree)
        and SPELLINGS.search(t.string)
    ]
    assert hits == ['"slack"', "symphony_pod"]
    assert [m.group(0) for m in SPELLINGS.finditer("Rocket.Chat and rocketchat")] == [
        "Rocket.Chat",
        "rocketchat",
    ]
