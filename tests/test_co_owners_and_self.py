"""Acting on oneself and undoing a co-owner's demotion on Symphony: nobody kicks themselves (they
could not undo it); an owner who demotes themselves steps down, and is told that only an owner
can make them one again. Who may act on a co-owner by default (a room owner demotes one, what
/demote is for, but does not kick one) and under a policy is in tests/contract, on every
platform."""

from __future__ import annotations

from typing import Any

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, CAROL, DESK, SOLO, ConfigMaker, changes, start_bot


async def _say(pod: SymphonyPod, settings_for: ConfigMaker, policy: dict[str, Any],
               user: int, room: str, text: str) -> str:  # fmt: skip
    app = await start_bot(settings_for(policy=policy))
    try:
        await pod.wait_until_listening()
        pod.say(user, room, text)
        return (await pod.next_message(room)).text
    finally:
        await app.stop()


async def test_kicking_yourself_is_refused_before_any_call(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    reply = await _say(pod, settings_for, {}, ALICE, DESK, "/kick @alice @bob")
    assert (
        "@Alice Owner: you cannot remove yourself with /kick: you could not undo it once you "
        "are out of the room. To leave, leave the room in your chat client." in reply
    )
    assert "Removed @Bob Member." in reply
    assert ALICE in pod.room(DESK).members
    assert BOB not in pod.room(DESK).members
    assert changes(pod) == ["POST /pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove"]


async def test_kicking_yourself_by_email_is_refused_too(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    reply = await _say(pod, settings_for, {}, ALICE, DESK, "/kick alice@example.com")
    assert "you cannot remove yourself with /kick" in reply
    assert changes(pod) == []


async def test_demoting_yourself_is_stepping_down_and_says_what_follows(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    reply = await _say(pod, settings_for, {}, ALICE, DESK, "/demote @alice")
    assert (
        "Demoted @Alice Owner to member. You stepped down yourself: only an owner of this room "
        "can make you an owner again (or undo this)." in reply
    )
    assert pod.room(DESK).members[ALICE] is False


async def test_a_dry_run_says_so_too(pod: SymphonyPod, settings_for: ConfigMaker) -> None:
    reply = await _say(pod, settings_for, {}, ALICE, SOLO, "/kick @alice --dry-run")
    assert "you cannot remove yourself with /kick" in reply
    assert changes(pod) == []


async def test_an_owner_undoes_their_demotion_of_a_co_owner_by_default(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    app = await start_bot(settings_for(policy={}))
    try:
        await pod.wait_until_listening()
        pod.say(ALICE, DESK, "/demote @carol")
        assert "Demoted @Carol Owner to member." in (await pod.next_message(DESK)).text
        pod.say(ALICE, DESK, "/undo 1")
        reply = (await pod.next_message(DESK)).text
        assert "same rank" not in reply
        assert pod.room(DESK).members[CAROL] is True
    finally:
        await app.stop()
