"""`kickbot offboard EMAIL --platform symphony` against the Symphony double: as a real process,
and through click's runner (in a thread: the double serves on the test's event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.cli_offboard import OffboardRequest, offboard
from bot.testing.symphony import SymphonyPod
from tests.conftest import BOB, DESK, GROUP, SOLO, ConfigMaker, changes, config_file_for
from tests.crowd import JUMBO
from tests.stores import opened
from tests.test_offboard import CORNER, OLD, bobs_world


@pytest.fixture(autouse=True)
def _bobs_world(pod: SymphonyPod) -> None:
    bobs_world(pod)


@pytest.fixture
def config_file(pod: SymphonyPod, tmp_path: Path) -> Path:
    return config_file_for(pod, tmp_path, policy={"protected": ["carol@example.com"]})


Args = Callable[..., tuple[str, ...]]


@pytest.fixture
def offboard_args(config_file: Path) -> Args:
    """``kickbot offboard``'s arguments for a person, on the pod as configured (or another
    ``platform``)."""
    return lambda email="bob@example.com", platform="symphony": (
        "offboard", email, "--platform", platform, "--config", str(config_file)
    )  # fmt: skip


async def kickbot(*args: str, stdin: bytes = b"") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def invoke(*args: str, answer: str = "") -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, main, list(args), input=answer, catch_exceptions=False
    )


async def test_offboard_as_a_process_plans_acts_and_records_a_case(
    pod: SymphonyPod, offboard_args: Args, tmp_path: Path
) -> None:
    status, out = await kickbot(
        *offboard_args(), "--ib-group", GROUP, "--reason", "leaving the firm", "--yes"
    )
    assert status == 0, out
    assert "Bob Member <bob@example.com> (user id 1002)" in out
    assert "dry run, nothing was changed: 4 would be done, 2 refused" in out  # the plan first
    assert "Would remove @Bob Member from “Jumbo” (a large room: 1,005 members" in out
    assert "offboarding @Bob Member from 5 rooms and 1 IB group: 4 done, 2 refused." in out
    assert "Removed @Bob Member from “Solo” — reason: leaving the firm" in out
    for room in (DESK, SOLO, JUMBO):
        assert BOB not in pod.room(room).members
    assert BOB in pod.room(CORNER).members
    assert BOB in pod.room(OLD).members
    assert BOB not in pod.group(GROUP).members

    async with opened(f"sqlite:///{tmp_path}/kickbot.db") as store:
        (row,) = await store.audit()
    assert row.caller == f"cli:{getpass.getuser()}"
    assert row.command == "offboard"
    assert row.outcome == "report"
    assert row.reason == "leaving the firm"
    assert sum(r["result"] == "done" for r in row.results) == 4


async def test_a_failed_room_makes_the_exit_status_non_zero(
    pod: SymphonyPod, offboard_args: Args
) -> None:
    pod.fail_next("POST", rf"/room/{pod.room(SOLO).stream_id}/membership/remove", 500, times=3)
    status, out = await kickbot(*offboard_args(), "--yes")
    assert status == 1, out
    assert "Failed in “Solo”: could not remove @Bob Member" in out
    assert BOB in pod.room(SOLO).members
    assert BOB not in pod.room(DESK).members


async def test_it_asks_first_and_no_changes_nothing(pod: SymphonyPod, offboard_args: Args) -> None:
    result = await invoke(*offboard_args(), answer="n\n")
    assert result.exit_code == 2, result.output
    assert "Make these 3 changes (case 1)? [y/N]" in result.output
    assert "Nothing was changed." in result.output
    assert changes(pod) == []

    result = await invoke(*offboard_args(), answer="y\n")
    assert result.exit_code == 0, result.output
    assert "offboarding @Bob Member from 5 rooms: 3 done, 2 refused." in result.output
    assert len(changes(pod)) == 3


async def test_dry_run_unknown_and_protected_people(
    pod: SymphonyPod, offboard_args: Args, config_file: Path
) -> None:
    dry = await invoke(*offboard_args(), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would remove @Bob Member from “Trading Desk”." in dry.output
    unknown = await invoke(*offboard_args("nobody@example.com"), "--yes")
    assert unknown.exit_code == 1
    assert "Error: no user has the e-mail address nobody@example.com" in unknown.output
    protected = await invoke(*offboard_args("carol@example.com"), "--yes")
    assert protected.exit_code == 0, protected.output
    assert "@Carol Owner is protected" in protected.output
    slack = await invoke(*offboard_args(platform="slack"))
    assert slack.exit_code == 1
    assert f"Error: {config_file}: slack: not configured in this file" in slack.output
    assert changes(pod) == []


class Recorder:
    """A terminal that answers yes and records what it was shown and each progress step."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.steps: list[int] = []
        self.total: int | None = None

    def show(self, text: str) -> None:
        self.shown.append(text)

    def ask(self, question: str) -> bool:
        self.shown.append(question)
        return True

    @contextlib.contextmanager
    def progress(self, total: int) -> Iterator[Callable[[int], None]]:
        self.total = total
        yield self.steps.append


async def test_the_progress_bar_advances_room_by_room(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    terminal = Recorder()
    request = OffboardRequest("bob@example.com", "symphony", (GROUP,))
    assert await offboard(settings_for(), request, terminal) == 0
    assert terminal.total == 6  # five rooms and the group
    assert terminal.steps == [1, 1, 1, 1, 1, 1]  # one per room or group handled
    assert terminal.shown[2] == "Make these 4 changes (case 1)?"
    assert BOB not in pod.group(GROUP).members


async def test_a_killed_command_line_case_is_closed_by_the_next_run_and_left_alone_by_a_bot(
    pod: SymphonyPod, offboard_args: Args, tmp_path: Path, settings_for: ConfigMaker
) -> None:
    """A command-line case whose process died (its lease lapsed) is never taken by a bot; the
    next command-line run closes it as interrupted and then does its own work."""
    from bot.cli_offboard import CLI_ROOM
    from bot.model import Invocation, RoomRef, UserRef, Word
    from tests.conftest import start_bot

    url = f"sqlite:///{tmp_path}/kickbot.db"
    async with opened(url) as store:
        dead = Invocation(
            platform="symphony",
            event_id="cli:dead",
            room=RoomRef(CLI_ROOM),
            caller=UserRef("cli:someone", "cli:someone"),
            tokens=(Word("/offboard"), Word("bob@example.com")),
        )
        case = await store.record(dead, "offboard", lane="cli")
        assert case is not None
        assert await store.claim("symphony", CLI_ROOM, "dead-cli", 0.0, "cli") is not None

    app = await start_bot(settings_for(store=url))  # resumes and sweeps: must leave it
    try:
        await pod.wait_until_listening()
        assert app.dispatcher is not None
        await app.dispatcher.resume()
        await app.dispatcher.drain()
    finally:
        await app.stop()
    assert changes(pod) == []

    result = await invoke(*offboard_args(), "--yes")
    assert result.exit_code == 0, result.output
    assert "3 done" in result.output
    async with opened(url) as store:
        first, second = await store.audit()
    assert (first.case, first.outcome) == (case, "interrupted")
    assert second.outcome == "report"
