"""/kick end to end: datafeed v2 -> bot -> pod API -> reply in the room. What every platform
shares (mention_required too) is in the contract table, tests/contract/."""

from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DESK, ConfigMaker, Room, changes, running


async def test_deactivated_room_refuses_before_any_call(pod: SymphonyPod, desk: Room) -> None:
    pod.deactivate_room(desk.id)
    pod.say(ALICE, desk.id, "/kick @bob")
    # A deactivated room cannot take the bot's reply either (membership and messages are locked);
    # what matters is that nothing was attempted.
    await desk.pod.wait_for_calls("GET", r"/pod/v3/room/.*/info", 1)
    assert BOB in desk.members
    assert changes(pod) == []


async def test_the_caller_is_mentioned_and_a_messageml_reason_escaped(desk: Room) -> None:
    """The room id sent URL-safe: the contract table's Symphony world checks every change's."""
    reason = "<b>spam</b> & ${secret} #{x} </messageML>"
    reply = await desk.say(ALICE, f"/kick @bob {reason}")
    assert f'<mention uid="{ALICE}"/>' in reply.messageml
    assert reason in reply.text
    assert "<b>" not in reply.messageml
    assert "${" not in reply.messageml


async def test_redelivered_event_acts_once(pod: SymphonyPod, desk: Room) -> None:
    message_id = pod.say(ALICE, desk.id, "/kick @bob")
    first = await pod.next_message(desk.id)
    assert "Removed @Bob Member." in first.text
    pod.redeliver(message_id)
    pod.say(ALICE, desk.id, "/help")
    second = await pod.next_message(desk.id)
    assert "/help" in second.text  # the next reply is the one to /help: no second /kick reply
    assert len(changes(pod)) == 1


async def test_a_named_user_by_id_may_kick_anywhere(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    policy = {
        "commands": {"kick": {"room_owners": False, "users": [BOB]}},
        "ranks": [{"name": "moderator", "users": ["bob@example.com"]}],
    }
    async with running(pod, settings_for(policy=policy)):
        desk = Room(pod, DESK)
        assert "Removed @Dave External." in (await desk.say(BOB, "/kick @dave")).text
        # An owner, but the policy no longer says owners.
        reply = (await desk.say(ALICE, "/kick @frank")).text
        assert "only users named in policy.commands.kick.users may" in reply
        assert len(changes(pod)) == 1
