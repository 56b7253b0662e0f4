"""Policy entries written as e-mail addresses fail closed on Rocket.Chat: without the
view-full-other-user-info permission the server shows the bot nobody's e-mail address and finds
nobody by one, so kickbot cannot tell who an e-mail entry is, and refuses, saying what to grant."""

from __future__ import annotations

from typing import Any

import pytest

from bot.testing.rocketchat.server import RocketChatServer
from tests.kit import running
from tests.rocketchat.conftest import (
    ALICE,
    BOB,
    CAROL,
    DESK,
    FRANK,
    SOLO,
    ConfigMaker,
    Room,
    start_bot,
    visible,
)

PERMISSION = "view-full-other-user-info"


def plain(text: str) -> str:
    """What a person reads, without the code marks."""
    return visible(text).replace("`", "")


def hide_emails(server: RocketChatServer) -> None:
    """The bot's roles lose view-full-other-user-info (a server that kept it for admins only,
    with the bot not an admin, is the same)."""
    server.world.permissions[PERMISSION] = frozenset()


async def say(
    server: RocketChatServer, settings_for: ConfigMaker, policy: dict[str, Any], user: str,
    text: str,
) -> str:  # fmt: skip
    async with running(start_bot(settings_for(policy=policy), server)):
        return plain((await Room(server, DESK).say(user, text)).msg)


@pytest.fixture
async def hidden(server: RocketChatServer) -> RocketChatServer:
    hide_emails(server)
    return server


DENY_CAROL = {"deny": ["carol@example.com"]}
CANNOT_TELL: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "the denied caller": (
        DENY_CAROL,
        CAROL,
        "!kick @bob",
        "You may not run !kick: kickbot cannot tell whether you are one of the people named by"
        " e-mail in policy.deny, because Rocket.Chat does not show the bot your e-mail address"
        " nor find anyone by those addresses. Nothing was changed.",
    ),
    # Alice is not the denied person, but nothing the server shows can tell her apart.
    "anyone else": (DENY_CAROL, ALICE, "!kick @bob", "cannot tell whether you are one of the"),
    "a caller named for the command": (
        {"commands": {"kick": {"users": ["bob@example.com"]}}},
        BOB,
        "!kick @dave",
        "named by e-mail in policy.commands.kick.users",
    ),
    "a target who may outrank the caller": (
        {"ranks": [{"name": "compliance", "users": ["bob@example.com"]}]},
        ALICE,
        "!kick @bob",
        "named by e-mail in policy.ranks (compliance)",
    ),
}
"""Who an e-mail entry of the policy may be, and what is said when that cannot be told."""


@pytest.mark.parametrize("case", list(CANNOT_TELL))
async def test_an_email_entry_that_cannot_be_told_refuses_naming_the_permission(
    hidden: RocketChatServer, settings_for: ConfigMaker, case: str
) -> None:
    policy, caller, text, said = CANNOT_TELL[case]
    reply = await say(hidden, settings_for, policy, caller, text)
    assert said in reply
    assert PERMISSION in reply
    assert "Administration › Workspace › Permissions" in reply
    assert hidden.changing_calls() == []


async def test_with_the_permission_the_entry_is_matched(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    denied = await say(server, settings_for, DENY_CAROL, CAROL, "!kick @bob")
    assert "You are on this bot's deny list" in denied
    assert server.changing_calls() == []
    assert "Removed @bob" in await say(server, settings_for, DENY_CAROL, ALICE, "!kick @bob")


async def test_the_permission_granted_later_is_seen_without_a_restart(
    hidden: RocketChatServer, settings_for: ConfigMaker
) -> None:
    async with running(start_bot(settings_for(policy=DENY_CAROL), hidden)):
        room = Room(hidden, DESK)
        assert "cannot tell whether" in plain((await room.say(CAROL, "!kick @bob")).msg)
        hidden.world.permissions[PERMISSION] = frozenset({"admin"})
        assert "deny list" in plain((await room.say(CAROL, "!kick @bob")).msg)
    assert hidden.changing_calls() == []


async def test_an_owner_goes_ahead_whoever_the_email_entries_are(
    hidden: RocketChatServer, settings_for: ConfigMaker
) -> None:
    # Owners may kick anyway; the e-mail entry could only have added a right.
    policy = {
        "commands": {"kick": {"room_owners": True, "users": ["bob@example.com"]}},
        "protect_named_users": False,
    }
    reply = await say(hidden, settings_for, policy, ALICE, "!kick @frank")
    assert "Removed @frank" in reply
    assert FRANK not in hidden.room(DESK).members


async def test_a_target_who_may_be_protected_is_not_touched(
    hidden: RocketChatServer, settings_for: ConfigMaker
) -> None:
    policy = {"protected": ["bob@example.com"]}
    reply = await say(hidden, settings_for, policy, ALICE, "!kick @bob @frank")
    assert (
        "@bob: not touched, as kickbot cannot tell whether they are named by e-mail in "
        "policy.protected (Rocket.Chat does not show the bot their e-mail address)." in reply
    )
    assert PERMISSION in reply
    # Frank may as well be bob@example.com for all the server shows: neither is touched.
    assert "@frank: not touched, as kickbot cannot tell" in reply
    assert {BOB, FRANK} <= set(hidden.room(DESK).members)
    assert hidden.changing_calls() == []


async def test_with_the_permission_an_address_nobody_has_blocks_nobody(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    # The member list shows no e-mail addresses, but the server would have found the entry's
    # owner: nobody has that address, so it names none of them.
    policy = {"protected": ["nobody@elsewhere.example"]}
    async with running(start_bot(settings_for(policy=policy), server)):
        reply = plain((await Room(server, SOLO).say(ALICE, "!kick --all-except-owners")).msg)
    assert "cannot tell" not in reply
    assert "Would remove @bob" in reply


@pytest.mark.parametrize("command", ["case", "undo"])
async def test_another_rooms_case_is_refused_naming_the_permission_when_emails_are_hidden(
    server: RocketChatServer, settings_for: ConfigMaker, command: str
) -> None:
    # Carol owns the desk, not the solo room; she is named for the command by e-mail, which the
    # server then neither shows nor finds: whether she may see or undo another room's case is
    # unknown.
    hidden = server
    policy = {"commands": {command: {"room_owners": True, "users": ["carol@example.com"]}}}
    async with running(start_bot(settings_for(policy=policy), hidden)):
        kicked = plain((await Room(hidden, SOLO).say(ALICE, "!kick @bob")).msg)
        assert "Removed" in kicked, kicked
        hide_emails(hidden)
        reply = plain((await Room(hidden, DESK).say(CAROL, f"!{command} 1")).msg)
    assert "Case 1 happened in another room" in reply, reply
    assert (
        f"kickbot cannot tell whether you are one of the people named by e-mail in "
        f"policy.commands.{command}.users, because Rocket.Chat does not show the bot your e-mail"
        in reply
    )
    assert PERMISSION in reply
    assert BOB not in hidden.room(SOLO).members  # nothing undone


async def test_another_rooms_case_shown_to_a_caller_named_by_a_shown_email(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    policy = {"commands": {"case": {"users": ["carol@example.com"]}}}
    async with running(start_bot(settings_for(policy=policy), server)):
        await Room(server, SOLO).say(ALICE, "!kick @bob")
        reply = plain((await Room(server, DESK).say(CAROL, "!case 1")).msg)
    assert "case 1," in reply, reply
    assert "another room" not in reply
