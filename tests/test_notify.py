from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DESK, ConfigMaker, start_bot


async def test_removed_person_is_told_why(pod: SymphonyPod, settings_for: ConfigMaker) -> None:
    notify = {"removed_users": True, "contact": "compliance@example.com"}
    app = await start_bot(settings_for(notify=notify))
    try:
        await pod.wait_until_listening()
        pod.say(ALICE, DESK, "/kick @bob flooding <the> desk")
        reply = (await pod.next_message(DESK)).text
        assert "Removed @Bob Member" in reply
        (im,) = [r for r in pod.rooms.values() if r.stream_type == "IM" and BOB in r.members]
        notice = (await pod.next_message(im.stream_id)).text
        assert "You were removed from the room Trading Desk by @Alice Owner." in notice
        assert "Reason: flooding <the> desk" in notice
        assert "Questions: contact compliance@example.com." in notice
    finally:
        await app.stop()


async def test_a_failed_notice_is_said_in_the_room(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    app = await start_bot(settings_for(notify={"removed_users": True}))
    try:
        await pod.wait_until_listening()
        pod.fail_next("POST", r"/pod/v1/im/create", 403)
        pod.say(ALICE, DESK, "/kick @bob")
        reply = (await pod.next_message(DESK)).text
        assert "Removed @Bob Member." in reply
        assert "Could not send @Bob Member the removal notice: the platform refused (403)" in reply
    finally:
        await app.stop()


async def test_no_notice_by_default(pod: SymphonyPod, settings_for: ConfigMaker) -> None:
    app = await start_bot(settings_for())
    try:
        await pod.wait_until_listening()
        pod.say(ALICE, DESK, "/kick @bob")
        await pod.next_message(DESK)
        assert pod.calls("POST", r"/pod/v1/im/create") == []
    finally:
        await app.stop()


async def test_many_failed_notices_are_counted_after_ten(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    from tests.crowd import CROWD, add_crowd, mentions

    crowd = add_crowd(pod, CROWD, 12)
    settings = settings_for(notify={"removed_users": True}, bulk={"confirm_above": 100})
    app = await start_bot(settings)
    try:
        await pod.wait_until_listening()
        pod.fail_next("POST", r"/pod/v1/im/create", 403, times=12)
        pod.say(ALICE, CROWD, f"/kick {mentions(crowd)}")
        reply = (await pod.next_message(CROWD)).text
    finally:
        await app.stop()
    assert reply.startswith("@Alice Owner /kick · case 1: 12 done")
    assert reply.count("the removal notice: the platform refused (403)") == 10
    assert reply.endswith("… and 2 more notes like these.")
