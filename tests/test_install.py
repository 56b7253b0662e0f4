"""Every install line of the README and docs/*.md works as written, from a fresh copy of the
checkout into a fresh virtualenv (the lines are read from the files, so that a new wrong one
fails here); and a platform whose extra is not installed is one line saying what to install.

Each distinct install runs once, several at a time (about a minute each with a warm pip cache,
nearly all of it pip resolving). Marked ``install``: ``pytest -m "not install"`` leaves them out
while working on something else; CI runs them with the rest.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.install, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PARALLEL = 3
QUIET = ("-q", "--quiet")
_PIP = re.compile(r"(\S*/)?(pip3?|python[\d.]*\s+-m\s+pip)\s+(install|wheel)\s+\S")
"""A command that starts with pip installing or building something (prose or an error message
naming ``pip install`` is not one)."""
_SKIP_COPY = {".git", ".venv", ".synapse-venv", "__pycache__", "build", "dist", ".mypy_cache",
              ".pytest_cache", ".ruff_cache", ".host-venv"}  # fmt: skip


@dataclass(frozen=True)
class Line:
    where: str
    """FILE:LINE"""
    text: str
    """The command as the file writes it."""


def code_in(markdown: str) -> Iterator[tuple[int, str]]:
    """Commands of a Markdown text: indented and fenced code lines, and inline code spans."""
    fenced = False
    for number, line in enumerate(markdown.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith(("    ", "\t")):
            yield number, line.strip()
        else:
            for span in re.findall(r"`([^`]+)`", line):
                yield number, span.strip()


def install_lines() -> list[Line]:
    found = []
    for doc in DOCS:
        for number, code in code_in(doc.read_text(encoding="utf-8")):
            if is_install(code):
                found.append(Line(f"{doc.relative_to(ROOT)}:{number}", code))
    return found


def split(line: str) -> list[str]:
    return [part.strip() for part in re.split(r"&&|;", line) if part.strip()]


def is_install(code: str) -> bool:
    return any(_PIP.match(part) for part in split(code))


def install_part(line: str) -> str:
    """The line up to its last pip command (what follows runs the installed thing: the demo,
    the linters, the test suite, which have their own tests)."""
    parts = split(line)
    last = max(n for n, part in enumerate(parts) if _PIP.match(part))
    return " && ".join(parts[: last + 1])


def pip_commands(line: str) -> list[list[str]]:
    """Each pip command of the line, from the word after ``pip`` (``-q`` left out)."""
    commands = []
    for part in split(install_part(line)):
        words = shlex.split(part, comments=True)
        for n, word in enumerate(words):
            if word.endswith(("pip", "pip3")) or (word == "pip" and words[n - 1] == "-m"):
                commands.append([w for w in words[n + 1 :] if w not in QUIET])
                break
    return commands


def extras(line: str) -> set[str]:
    """The extras of kickbot the line installs (``dev`` stands for the ones it names)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    optional = pyproject["project"]["optional-dependencies"]
    named: set[str] = set()
    for command in pip_commands(line):
        if command[:1] != ["install"]:
            continue
        for word in command[1:]:
            spec = re.fullmatch(r"(?:\.|kickbot|\S*kickbot-[^/\s]*\.whl|\S*/)\[([\w,-]+)\]", word)
            if spec:
                named |= set(spec.group(1).split(","))
    for extra in list(named):
        for requirement in optional.get(extra, []):
            inner = re.fullmatch(r"kickbot\[([\w,-]+)\]", requirement)
            if inner:
                named |= set(inner.group(1).split(","))
    return named


@dataclass
class Installed:
    line: Line
    directory: Path
    status: int
    output: str
    seconds: float

    @property
    def python(self) -> Path:
        """The Python the line installed into: its own .venv, or the one it was run in."""
        own = self.directory / ".venv" / "bin" / "python"
        return own if own.exists() else self.directory.parent / "outer" / "bin" / "python"

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=self.directory, env=_clean_env(self.python.parent), input=stdin,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip


def _clean_env(bin_dir: Path) -> dict[str, str]:
    """A newcomer's shell with this virtualenv activated (none of the tests' own)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    test_bin = str(Path(sys.executable).parent)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != test_bin]
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["PIP_NO_COMPILE"] = "1"  # byte-compiling is done on import instead: only faster
    return env


def _copy_checkout(target: Path) -> None:
    """A fresh checkout: the files git knows (tracked and not ignored), or, without git, the
    tree without virtualenvs, caches and builds."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True,
    )  # fmt: skip
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            source = ROOT / name
            if name and source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        return
    shutil.copytree(
        ROOT, target, dirs_exist_ok=True,
        ignore=lambda _d, names: [n for n in names if n in _SKIP_COPY or n.endswith(".egg-info")],
    )  # fmt: skip


def _prepared_venv(part: str, checkout: Path, outer: Path) -> Path | None:
    """The virtualenv a line expects to exist already: none if it makes its own; the quick
    start's ``.venv`` if it uses that; else an activated one (for a bare ``pip``)."""
    if re.search(r"-m\s+venv\b", part):
        return None
    if ".venv/bin/" in part:
        return checkout / ".venv"
    return outer


def _install(line: Line, base: Path) -> Installed:
    began = time.monotonic()
    checkout = base / "checkout"
    checkout.mkdir(parents=True)
    _copy_checkout(checkout)
    part = install_part(line.text)
    venv = _prepared_venv(part, checkout, base / "outer")
    if venv is not None:  # as the quick start makes it
        made = subprocess.run(
            [sys.executable, "-m", "venv", "--upgrade-deps", str(venv)], capture_output=True
        )
        assert made.returncode == 0, made.stderr
    done = subprocess.run(
        ["bash", "-c", part], cwd=checkout, env=_clean_env((venv or base / "outer") / "bin"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return Installed(
        line,
        checkout,
        done.returncode,
        done.stdout + done.stderr,
        time.monotonic() - began,
    )


class Installs:
    """One fresh install per distinct line (up to its last pip command; -q aside), made once,
    several at a time."""

    def __init__(self, base: Path):
        self.base = base
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="install")
        self.started: dict[str, Future[Installed]] = {}
        self.lock = threading.Lock()

    def start(self, line: Line) -> Future[Installed]:
        key = repr([w for w in shlex.split(install_part(line.text)) if w not in QUIET])
        with self.lock:
            if key not in self.started:
                base = self.base / f"install-{len(self.started)}"
                self.started[key] = self.pool.submit(_install, line, base)
            return self.started[key]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.base, ignore_errors=True)


LINES = install_lines()
QUICK_START = Line(
    "tests/test_install.py",
    "python3 -m venv --upgrade-deps .venv && .venv/bin/pip install -e '.[symphony,testing]'",
)
"""What the README's quick start installs: Symphony and the emulated servers only."""


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installs]:
    made = Installs(tmp_path_factory.mktemp("installs"))
    yield made
    made.close()


def test_the_docs_have_install_lines() -> None:
    assert any("README.md" in line.where for line in LINES), "no install line found in README.md"


def test_install_lines_are_found_wherever_markdown_puts_code() -> None:
    sample = """\
Install it with `pip install 'kickbot[symphony]'` or, indented:

    python3 -m venv .venv && .venv/bin/pip install -e '.[slack]'  # from the checkout

```sh
.venv/bin/python -m pip install -e '.[matrix]'
```
Prose that names pip install, `pip install` alone, or `pip list` is no install line, nor
    Error: slack: not installed; install it with: .venv/bin/pip install -e '.[slack]'
"""
    found = [code for _, code in code_in(sample) if is_install(code)]
    assert found == [
        "pip install 'kickbot[symphony]'",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[slack]'  # from the checkout",
        ".venv/bin/python -m pip install -e '.[matrix]'",
    ]
    assert install_part(
        "python3 -m venv .venv && .venv/bin/pip install -q '.[slack]' && pytest"
    ) == ("python3 -m venv .venv && .venv/bin/pip install -q '.[slack]'")
    assert [extras(line) for line in found] == [{"symphony"}, {"slack"}, {"matrix"}]


OTHER_EXTRAS = {
    "testing": "bot.testing",
    "scim": "bot.scim.server",
    "ops": "bot.ops.server",
    "stream": "bot.streaming.hec",
}
"""The extras that are not a platform's, and the module each one lets import."""


@pytest.mark.parametrize("line", LINES, ids=[line.where for line in LINES])
def test_install_line_works_as_written(installs: Installs, line: Line) -> None:
    for each in [QUICK_START, *LINES]:  # all at once (several at a time), once
        installs.start(each)
    done = installs.start(line).result()
    assert done.status == 0, f"{line.where}: {line.text}\n{done.output[-3000:]}"
    wanted = extras(line.text)
    assert wanted, f"{line.where}: names no extra of kickbot: {line.text}"
    platforms = sorted(wanted - {"dev", *OTHER_EXTRAS})  # each named after its platform
    modules = ["bot.cli", *(f"bot.platforms.{e}" for e in platforms)]
    modules += [module for extra, module in OTHER_EXTRAS.items() if extra in wanted]
    imported = done.run(str(done.python), "-I", "-c", f"import {', '.join(modules)}")
    assert imported.returncode == 0, f"{line.where}: {line.text}\n{imported.stderr[-3000:]}"
    version = done.run(str(done.python.parent / "kickbot"), "--version")
    assert version.returncode == 0, version
    assert "version" in version.stdout, version


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_platform_without_its_extra_says_what_to_install(installs: Installs) -> None:
    """A checkout installed as the quick start says (Symphony and the emulators only)."""
    done = installs.start(QUICK_START).result()
    assert done.status == 0, done.output[-3000:]
    kickbot = ".venv/bin/kickbot"
    for platform in ("slack", "matrix", "chime"):
        line = _one_line_error(done.run(kickbot, "demo", "--platform", platform, stdin=":quit\n"))
        assert line.startswith(
            f"Error: kickbot demo --platform {platform}: the {platform} extra of kickbot is not"
            " installed (no module named "
        ), line
        assert line.endswith(f"); install it with: .venv/bin/pip install -e '.[{platform}]'"), line
    config = done.directory / "slack.yaml"
    config.write_text(
        yaml.safe_dump({"slack": {"mode": "socket", "bot_token": "xoxb-1", "app_token": "xapp-1"}})
    )
    for command in (["check-config", "slack.yaml"], ["run", "--config", "slack.yaml"]):
        line = _one_line_error(done.run(kickbot, *command))
        assert line.startswith(
            "Error: slack.yaml: slack: the slack extra of kickbot is not installed (no module"
            " named "
        ), line
        assert line.endswith("); install it with: .venv/bin/pip install -e '.[slack]'"), line


def test_every_extra_is_a_platforms_or_one_the_install_test_imports() -> None:
    from bot.platforms import PLUGINS

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = set(pyproject["project"]["optional-dependencies"])
    assert declared == {p.extra for p in PLUGINS} | {"dev"} | set(OTHER_EXTRAS)
