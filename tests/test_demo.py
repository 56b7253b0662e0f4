"""``kickbot demo`` for each platform, end to end, as a newcomer runs it: a real process, a
script piped in; what it prints, read as a person reads it. A row a script: each platform's
tour, then more of its demo: typos get the nearest command, someone else's slash word is not
waited for, a removed person's message is a line, the demo's own commands say what is wrong,
the audit is in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.demo_process import run_script
from tests.matrix.session import synapse_python
from tests.rocketchat.conftest import visible


class Absent(str):
    """A line the output must not hold."""


HELP = "Commands you may use here"
ZED = "There is no sample user zed; the users are "
ATTIC = "There is no sample room attic; the rooms are "
TYPO = "kik is not a command. Did you mean {0}kick? {0}help lists the ones you may use."

# row -> (platform, None: `kickbot demo` as the README has it; the script; lines the output
# holds, (marker, line): the line comes after the marker's last place; Absent: not there).
# A spec broken makes the demo exit 1, which run_script refuses.
DEMOS: dict[str, tuple[str | None, str, list[str | tuple[str, str]]]] = {
    "symphony": (
        None,
        "/help\n/kick @bob spamming <b>loudly</b>\n:as bob\n/kick @dave\n:as frank\n"
        "/ib-remove 571db1f2e4b027c4f055a594 @bob @erin\n:quit\n",
        [
            HELP,
            "Removed @Bob Member — reason: spamming <b>loudly</b>",
            "now Trading Desk: kickbot, alice (owner), carol (owner), dave, frank",
            "You may not run /kick here",
            "Removed @Bob Member from IB group",
            "Erin Departed's account is deactivated",
        ],
    ),
    "slack": (
        "slack",
        "@kickbot help\n/kick @bob spamming <b>loudly</b> & more\n/kick @Robert\n:as bob\n"
        "/kick @dave\n:as frank\n@kickbot kick @dave\n/demote @carol\n:audit\n:quit\n",
        [
            HELP,
            "Removed @Bob Member — reason: spamming <b>loudly</b> & more",
            "now #desk: alice, carol, dave, frank, kickbot, owen",
            "“@Robert” is typed text, not a mention.",
            "You may not run /kick here",
            "kickbot (in the thread): @Frank Compliance /kick",
            "now #desk: alice, carol, frank, kickbot, owen",
            "Slack offers bots no API to demote a channel manager",
            (":audit", "/kick @bob spamming <b>loudly</b> & more — ran"),
            (":audit", "done: dave"),  # named from the workspace, not as the mention's id
        ],
    ),
    "rocketchat": (
        "rocketchat",
        "!help\n!kick @bob spamming *loudly* @here\n:as bob\n!kick @carol\n:as alice\n"
        "!demote @carol\n@kickbot kick @nobody\n:room town\n!kick @bob\n:audit\n:quit\n",
        [
            HELP,
            "Removed @bob — reason: spamming *loudly* @here",
            "now desk: kickbot, alice (owner), carol (owner), dave (moderator)",
            "You may not run `!kick` here",
            "Demoted @carol to member.",
            "“@nobody” is typed text, not a mention.",
            "now town: kickbot, grace, alice (owner)",
            "#2 alice: !kick @bob spamming *loudly* @here — ran",
        ],
    ),
    "chime": (
        "chime",
        "/help\n/kick @bob spamming <b>loudly</b>\n:as bob\n/kick @dave\n:as alice\n/undo\n"
        "/demote @alice\n:room ops\n/kick @alice\n:audit\n:quit\n",
        [
            HELP,
            "Amazon Chime reached end of support on 2026-02-20",
            "Removed @bob@example.com — reason: spamming <b>loudly</b>",
            "now Trading Desk: alice (admin), carol (admin), dave, frank, kickbot",
            "You may not run /kick here",
            "Demoted @alice@example.com to member.",
            "Re-added @bob@example.com.",
            ("alice> :room ops", "You may not run /kick here"),
            "#1 Alice Owner: ",
        ],
    ),
    "chime_sdk": (
        "chime_sdk",
        "/help\n/kick @bob spamming <b>loudly</b>\n:as bob\n/kick @dave\n:as alice\n/undo\n"
        "/demote @carol\n:as carol\n:channel ops\n/demote @carol\n:audit\n:quit\n",
        [
            HELP,
            "kickbot demo (Amazon Chime SDK messaging)",
            "Removed @bob — reason: spamming <b>loudly</b>",
            "now Trading Desk: alice (moderator), carol (moderator), dave, frank,"
            " kickbot (moderator)",
            "You may not run `/kick` here",
            "Re-added @bob.",
            "Demoted @carol to member.",
            ("carol> :channel ops", "@carol is the last owner of this room"),
            "#1 Alice Moderator: /help — answered",
        ],
    ),
    "matrix": (
        "matrix",
        "!help\n!kick @bob spamming <b>loudly</b>\n:as dave\n!kick @carol\n:as carol\n"
        "!kick @erin\n:as alice\nkickbot: demote @carol\n:audit\n:quit\n",
        [
            HELP,
            "kickbot demo: a real Synapse homeserver on http://127.0.0.1:",
            "Removed Bob — reason: spamming <b>loudly</b>",
            "now Ops: kickbot (100), alice (creator), carol (50), dave, erin (100)",
            "You may not run !kick here",
            "Erin ranks the same as or above you in this room",
            "Demoted Carol to member.",
            "now Ops: kickbot (100), alice (creator), carol, dave, erin (100)",
            "#1 Alice: !help — answered",
        ],
    ),
    "symphony-typos": (
        "symphony",
        "/kik @bob\n/shrug\n:as zed\n:as\n:room attic\n/kick @bob spam\n/case 2\n/help\n"
        ":audit\n:quit\n",
        [
            "/" + TYPO.format("/"),
            Absent("no reply"),  # /shrug is not the bot's: nothing is waited for
            ZED + "alice, bob, carol, dave, erin and frank.",
            "Name the user: one of alice, bob, carol, dave, erin and frank.",
            ATTIC + "desk and ops.",
            "It ran; for each person:",
            Absent("Outcome"),
            "/help — list the commands you may use here (open to everyone)",
            ("> :audit", "#1 Alice Owner: /kik @Bob Member — refused"),
            ("> :audit", "#2 Alice Owner: /kick @Bob Member spam — ran"),
            ("> :audit", "#3 Alice Owner: /case 2 — answered"),
            Absent("->"),
        ],
    ),
    "rocketchat-typos": (
        "rocketchat",
        "!kik @bob\n!giphy cats\n:as zed\n:room attic\n:audit\n:quit\n",
        [
            "`!kik` is not a command. Did you mean `!kick`? `!help` lists the ones you may use.",
            Absent("no reply"),
            ZED + "alice, bob, carol, dave and grace.",
            ATTIC + "desk and town.",
            ("> :audit", "#1 alice: !kik @bob — refused"),
        ],
    ),
    "chime-typos": (
        "chime",
        "kik @bob\n:as zed\n:room attic\n:quit\n",
        [
            "/" + TYPO.format("/"),
            ZED + "alice, bob, carol, dave, erin and frank.",
            ATTIC + "desk and ops.",
        ],
    ),
    "matrix-removed-speaks": (
        "matrix",
        "!kick @bob spamming\n:as bob\nhello?\n!kick @dave\n:as alice\n!kik @dave\n"
        "!kick @erin\n:as zed\n:members\n:quit\n",
        [
            "Removed Bob — reason: spamming",
            "(Synapse refused bob's message: 403 M_FORBIDDEN: User @bob:kickbot.test not in room",
            ("bob> !kick @dave", "(Synapse refused bob's message"),  # and the demo went on
            "!" + TYPO.format("!"),
            "Erin was not touched: @erin:kickbot.test has power level 100",
            ZED + "alice, bob, carol, dave and erin.",
            ("> :members", "[alice in Ops:"),
        ],
    ),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(DEMOS))
def test_the_demo_runs_the_real_bot_against_the_double(name: str, tmp_path: Path) -> None:
    platform, script, lines = DEMOS[name]
    if platform == "matrix":
        synapse_python()  # skips (or fails on CI) like the other Synapse tests
    out = visible(run_script(platform, script, tmp_path, timeout=280))
    for line in lines:
        if isinstance(line, Absent):
            assert line not in out, line
        elif isinstance(line, tuple):
            marker, after = line
            assert after in out.split(marker)[-1], line
        else:
            assert line in out, line


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
    assert "/" + TYPO.format("/") in out
    assert ZED + "alice, owen, carol, bob, dave, erin and frank." in out
