"""An /undo cut off (a shutdown hands it back, a crash leaves it running) and run again: it goes
on with the case it chose, and each change of that case is reversed at most once. A change in
flight when the process died is journalled as begun, so its claim is kept."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DAVE, DESK, ConfigMaker, Room, kill, start_bot
from tests.stores import opened

ADD = r"/membership/add$"
LIST = r"/membership/list$"
GINA = 1007


def gina(pod: SymphonyPod) -> None:
    """Gina, a member of the desk."""
    pod.add_user(GINA, "Gina Member", email="gina@example.com", username="gina")
    pod.room(DESK).members[GINA] = False


async def paused_undo(pod: SymphonyPod, desk: Room, first: App, text: str) -> None:
    """Alice's ``text`` (an /undo) in the desk, its first re-add made as the bot shuts down:
    handed back, the rest to do once it is back."""
    held = pod.hold_next("POST", ADD)
    pod.say(ALICE, DESK, text)
    await pod.wait_for_calls("POST", ADD, 1)
    stopping = asyncio.create_task(first.stop(grace_seconds=10))
    assert first.dispatcher is not None
    async with asyncio.timeout(10):  # the shutdown is under way before the re-add answers
        while not first.dispatcher.stopping:  # noqa: ASYNC110 (a flag the bot sets, no event)
            await asyncio.sleep(0.01)
    held.set()
    await stopping
    assert "paused, the bot is restarting" in (await pod.next_message(DESK)).text


async def test_a_resumed_undo_goes_on_with_the_case_it_chose(
    pod: SymphonyPod, desk: Room, settings_for: ConfigMaker
) -> None:
    first = await start_bot(settings_for())
    await pod.wait_until_listening()
    gina(pod)
    await desk.say(ALICE, "/kick @gina")
    await desk.say(ALICE, "/kick @bob @dave")
    await paused_undo(pod, desk, first, "/undo")  # case 3: case 2, the last one; Bob re-added
    second = await start_bot(settings_for())
    try:
        await pod.wait_until_listening(readers=2)
        resumed = await pod.next_message(DESK, timeout=20)
        assert "undoing case 2: 2 done" in resumed.text, resumed.text
        assert second.store is not None
        assert await second.store.undo_claims(1) == {}  # Gina's case is not this undo's
        assert await second.store.undo_claims(2) == {str(BOB): 3, str(DAVE): 3}
    finally:
        await second.stop()
    assert desk.members[DAVE] is False
    assert GINA not in desk.members
    assert len(pod.calls("POST", ADD)) == 2


async def test_a_change_in_flight_at_a_crash_is_journalled_as_begun(
    pod: SymphonyPod, desk: Room, settings_for: ConfigMaker
) -> None:
    """Its claim is then kept by a /cancel (``test_undo_claims``), and a resumed run makes it
    again, the room settling an answer lost."""
    settings = settings_for()
    first = await start_bot(settings)
    await pod.wait_until_listening()
    await desk.say(ALICE, "/kick @bob @dave")
    bob = pod.hold_next("POST", ADD)
    pod.say(ALICE, DESK, "/undo 1")  # case 2
    await pod.wait_for_calls("POST", ADD, 1)
    dave = pod.hold_next("POST", ADD)
    bob.set()
    await pod.wait_for_calls("POST", ADD, 2)
    try:
        await kill(first)  # Dave's re-add in flight
        async with opened(settings.store) as store:
            (row,) = await store.audit(case=2)
    finally:
        dave.set()
    # One row each, under the key of the case's result (/case shows no extra row).
    assert [(r["target_id"], r["result"]) for r in row.results] == [
        (str(BOB), "done"),
        (str(DAVE), "started"),  # its outcome unknown
    ]
