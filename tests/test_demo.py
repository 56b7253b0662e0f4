"""``kickbot demo`` for each platform, end to end, as a newcomer runs it: a real process, a
script piped in; what it prints, read as a person reads it (one row a platform; more scripts in
``test_demo_scripts.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.demo_process import run_script
from tests.matrix.session import synapse_python
from tests.rocketchat.conftest import visible

# row -> (platform, None: `kickbot demo` as the README has it; the script; lines the output
# holds, (marker, line): the line comes after the marker's last place). A spec broken makes
# the demo exit 1, which run_script refuses.
DEMOS: dict[str, tuple[str | None, str, list[str | tuple[str, str]]]] = {
    "symphony": (
        None,
        "/help\n/kick @bob spamming <b>loudly</b>\n:as bob\n/kick @dave\n:as frank\n"
        "/ib-remove 571db1f2e4b027c4f055a594 @bob @erin\n:quit\n",
        [
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
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(DEMOS))
def test_the_demo_runs_the_real_bot_against_the_double(name: str, tmp_path: Path) -> None:
    platform, script, lines = DEMOS[name]
    if name == "matrix":
        synapse_python()  # skips (or fails on CI) like the other Synapse tests
    out = visible(run_script(platform, script, tmp_path, timeout=280))
    assert "Commands you may use here" in out
    for line in lines:
        if isinstance(line, tuple):
            marker, after = line
            assert after in out.split(marker)[-1], line
        else:
            assert line in out, line
