"""/kick end to end: datafeed v2 -> bot -> pod API -> reply in the room."""

from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DESK, ConfigMaker, Room, changes, running, start_bot


async def test_the_caller_is_mentioned_and_the_room_id_is_sent_url_safe(
    pod: SymphonyPod, desk: Room
) -> None:
    reply = await desk.say(ALICE, "/kick @bob spamming the desk")
    assert f'<mention uid="{ALICE}"/>' in reply.messageml
    # The room id has + and /: the API got it URL-safe.
    assert changes(pod) == ["POST /pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove"]


async def test_deactivated_room_refuses_before_any_call(pod: SymphonyPod, desk: Room) -> None:
    pod.deactivate_room(desk.id)
    pod.say(ALICE, desk.id, "/kick @bob")
    # A deactivated room cannot take the bot's reply either (membership and messages are locked);
    # what matters is that nothing was attempted.
    await desk.pod.wait_for_calls("GET", r"/pod/v3/room/.*/info", 1)
    assert BOB in desk.members
    assert changes(pod) == []


async def test_reason_with_messageml_is_escaped(pod: SymphonyPod, desk: Room) -> None:
    reason = "<b>spam</b> & ${secret} #{x} </messageML>"
    reply = await desk.say(ALICE, f"/kick @bob {reason}")
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
    app = await start_bot(
        settings_for(
            policy={
                "commands": {"kick": {"room_owners": False, "users": [BOB]}},
                "ranks": [{"name": "moderator", "users": ["bob@example.com"]}],
            }
        )
    )
    try:
        await pod.wait_until_listening()
        pod.say(BOB, DESK, "/kick @dave")
        assert "Removed @Dave External." in (await pod.next_message(DESK)).text
        pod.say(ALICE, DESK, "/kick @frank")  # an owner, but the policy no longer says owners
        reply = (await pod.next_message(DESK)).text
        assert "only users named in policy.commands.kick.users may" in reply
        assert len(changes(pod)) == 1
    finally:
        await app.stop()


async def test_mention_required(pod: SymphonyPod, settings_for: ConfigMaker) -> None:
    async with running(pod, settings_for(mention_required=True)):
        pod.say(ALICE, DESK, "/kick @bob")  # not addressed to the bot: ignored
        pod.say(ALICE, DESK, "@kickbot /kick @dave")
        assert "Removed @Dave External." in (await pod.next_message(DESK)).text
        assert BOB in pod.room(DESK).members
        assert len(changes(pod)) == 1
