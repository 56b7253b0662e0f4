"""Each platform's demo as a newcomer runs it (``kickbot demo --platform X < script``, a real
process): typos get the nearest command, someone else's slash word is not waited for, a removed
person's message is a line, the demo's own commands say what is wrong, the audit is in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.demo_process import run_script
from tests.matrix.session import synapse_python


def audit_of(out: str) -> str:
    return out.split("> :audit", 1)[1].split("> :quit", 1)[0]


def test_symphony_demo(tmp_path: Path) -> None:
    out = run_script(
        "symphony",
        "/kik @bob\n/shrug\n:as zed\n:as\n:room attic\n/kick @bob spam\n/case 2\n/help\n"
        ":audit\n:quit\n",
        tmp_path,
    )
    assert "/kik is not a command. Did you mean /kick? /help lists the ones you may use." in out
    assert "no reply" not in out  # /shrug is not the bot's: nothing is waited for
    assert (
        "There is no sample user zed; the users are alice, bob, carol, dave, erin and frank." in out
    )
    assert "Name the user: one of alice, bob, carol, dave, erin and frank." in out
    assert "There is no sample room attic; the rooms are desk and ops." in out
    assert "It ran; for each person:" in out
    assert "Outcome" not in out
    assert "/help — list the commands you may use here (open to everyone)" in out
    audit = audit_of(out)
    assert "#1 Alice Owner: /kik @Bob Member — refused" in audit
    assert "#2 Alice Owner: /kick @Bob Member spam — ran" in audit
    assert "#3 Alice Owner: /case 2 — answered" in audit
    assert "->" not in audit


def test_slack_demo_runs_every_command_of_the_manifest(tmp_path: Path) -> None:
    from bot.testing.slack.demo import manifest_commands

    args = {
        "/kick": "@bob spam",
        "/demote": "@carol",
        "/offboard": "@dave",
        "/case": "1",
        "/confirm": "1",
        "/cancel": "1",
    }
    commands = manifest_commands()
    assert {"/kick", "/undo", "/help"} <= set(commands)
    lines = [f"{c} {args.get(c, '')}".strip() for c in commands]
    out = run_script(
        "slack", "\n".join([*lines, "/kik @bob", "@kickbot kik @bob", ":as zed", ":quit"]), tmp_path
    )
    for command in commands:
        assert f"kickbot: @Alice Admin {command} · case" in out, command
    assert out.count("is not a valid command") == 1  # /kik only, as Slack itself says
    assert "(Slack: /kik is not a valid command)" in out
    assert "/kik is not a command. Did you mean /kick? /help lists the ones you may use." in out
    zed = (
        "There is no sample user zed; the users are alice, owen, carol, bob, dave, erin and frank."
    )
    assert zed in out


def test_rocketchat_demo(tmp_path: Path) -> None:
    out = run_script(
        "rocketchat", "!kik @bob\n!giphy cats\n:as zed\n:room attic\n:audit\n:quit\n", tmp_path
    )
    assert "!kik is not a command. Did you mean !kick? !help lists the ones you may use." in (
        out.replace("`", "")
    )
    assert "no reply" not in out
    assert "There is no sample user zed; the users are alice, bob, carol, dave and grace." in out
    assert "There is no sample room attic; the rooms are desk and town." in out
    assert "#1 alice: !kik @bob — refused" in audit_of(out)


def test_chime_demo(tmp_path: Path) -> None:
    out = run_script("chime", "kik @bob\n:as zed\n:room attic\n:quit\n", tmp_path)
    assert "/kik is not a command. Did you mean /kick? /help lists the ones you may use." in out
    assert (
        "There is no sample user zed; the users are alice, bob, carol, dave, erin and frank." in out
    )
    assert "There is no sample room attic; the rooms are desk and ops." in out


@pytest.mark.timeout(300)
def test_matrix_demo_goes_on_after_a_removed_person_speaks(tmp_path: Path) -> None:
    synapse_python()  # skips (or fails on CI) like the other Synapse tests
    script = (
        "!kick @bob spamming\n:as bob\nhello?\n!kick @dave\n:as alice\n!kik @dave\n"
        "!kick @erin\n:as zed\n:members\n:quit\n"
    )
    out = run_script("matrix", script, tmp_path, timeout=280)
    assert "Removed Bob — reason: spamming" in out
    assert (
        "(Synapse refused bob's message: 403 M_FORBIDDEN: User @bob:kickbot.test not in room" in out
    )
    assert out.count("(Synapse refused bob's message") == 2  # and the demo went on
    assert "!kik is not a command. Did you mean !kick? !help lists the ones you may use." in out
    assert "Erin was not touched: @erin:kickbot.test has power level 100" in out
    assert "There is no sample user zed; the users are alice, bob, carol, dave and erin." in out
    assert "[alice in Ops:" in out.split("> :members", 1)[1]
