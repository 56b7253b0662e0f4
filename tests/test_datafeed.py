"""Datafeed discipline: record fast, act outside the loop, never twice, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from bot.app import App
from bot.model import Invocation, MentionToken, RoomRef, UserRef, Word
from bot.outcome import Outcome
from bot.platforms.symphony.calls import url_safe_id
from bot.testing.symphony import SymphonyPod
from tests.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DESK,
    SOLO,
    ConfigMaker,
    changes,
    killed_mid_call,
    running,
    start_bot,
)


def finished(app: App) -> asyncio.Queue[tuple[int, Outcome]]:
    queue: asyncio.Queue[tuple[int, Outcome]] = asyncio.Queue()
    assert app.dispatcher is not None
    app.dispatcher.on_finished.append(lambda case, outcome: queue.put_nowait((case, outcome)))
    return queue


async def test_store_failure_gets_the_event_redelivered(
    pod: SymphonyPod, settings_for: ConfigMaker, tmp_path: Path
) -> None:
    async with running(pod, settings_for()):
        # Another process holds the database locked: recording fails, the listener raises
        # EventError, the batch is not acked.
        with contextlib.closing(sqlite3.connect(tmp_path / "kickbot.db")) as other:
            other.execute("BEGIN EXCLUSIVE")
            pod.say(ALICE, DESK, "/kick @bob")
            await pod.wait_for_calls("POST", r"/agent/v5/datafeeds/.*/read", 3)
            await asyncio.sleep(0)  # let the listener hit the lock
            await pod.wait_for_unacked(1)
            other.rollback()
        assert BOB in pod.room(DESK).members
        assert pod.requeue_unacked() == 1
        reply = await pod.next_message(DESK, timeout=20)
        assert "Removed @Bob Member." in reply.text
        assert len(changes(pod)) == 1


async def test_two_instances_share_the_feed_and_act_once(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    first = await start_bot(settings_for())
    second = await start_bot(settings_for())
    try:
        await pod.wait_until_listening()
        pod.say(ALICE, DESK, "/kick @bob")
        pod.say(ALICE, SOLO, "/kick @bob")
        pod.say(ALICE, DESK, "/kick @dave")
        texts = [(await pod.next_message(DESK)).text, (await pod.next_message(DESK)).text]
        texts.append((await pod.next_message(SOLO)).text)
        pod.requeue_unacked()
        assert sorted(t.split(": ", 1)[1] for t in texts) == sorted(
            [
                "1 done\nRemoved @Bob Member.",
                "1 done\nRemoved @Dave External.",
                "1 done\nRemoved @Bob Member.",
            ]
        )
        assert len(pod.datafeeds) == 1
        assert len(changes(pod)) == 3
    finally:
        await first.stop()
        await second.stop()


async def test_a_slow_room_does_not_delay_another(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with running(pod, settings_for()):
        release = pod.hold_next("POST", r"/pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove")
        pod.say(ALICE, DESK, "/kick @bob")
        await pod.wait_for_calls("POST", r"/pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove", 1)
        reply = await asyncio.wait_for(
            _say_and_read(pod, SOLO, "/kick @bob"), timeout=15
        )  # answered while the other room's call is still held
        assert "Removed @Bob Member." in reply
        assert BOB in pod.room(DESK).members
        release.set()
        assert "Removed @Bob Member." in (await pod.next_message(DESK)).text


async def test_commands_arriving_together_in_a_room_run_one_after_another(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    """The first command is recorded and claimed at once, the next ones queue behind it: the
    room never has two changes in flight."""
    remove = r"/pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove"
    async with running(pod, settings_for()):
        release = pod.hold_next("POST", remove)
        for target in ("@bob", "@dave", "@bob"):
            pod.say(ALICE, DESK, f"/kick {target}")
        await pod.wait_for_calls("POST", remove, 1)
        await asyncio.sleep(0.5)  # time for a second change to start, were the room not held
        assert len(pod.calls("POST", remove)) == 1
        release.set()
        replies = [(await pod.next_message(DESK, timeout=15)).text for _ in range(3)]
        assert "case 1: 1 done\nRemoved @Bob Member." in replies[0]
        assert "case 2: 1 done\nRemoved @Dave External." in replies[1]
        assert "case 3: 1 refused\n@Bob Member is not a member" in replies[2], replies[2]
        assert not {BOB, DAVE} & set(pod.room(DESK).members)


async def _say_and_read(pod: SymphonyPod, room: str, text: str) -> str:
    pod.say(ALICE, room, text)
    return (await pod.next_message(room)).text


async def test_restart_resumes_a_recorded_command(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    """A command cut off by a stop (grace period over) is handed back and run by the next start."""
    info = r"/pod/v3/room/.*/info"
    release = await killed_mid_call(pod, settings_for(), "GET", info, "/demote @carol")
    release.set()
    assert pod.room(DESK).members[CAROL] is True

    again = await start_bot(settings_for())
    try:
        queue = finished(again)
        case, _ = await asyncio.wait_for(queue.get(), timeout=20)
        assert case == 1
        assert pod.room(DESK).members[CAROL] is False
        assert "Demoted @Carol Owner to member." in (await pod.next_message(DESK)).text
        assert len(changes(pod)) == 1
    finally:
        await again.stop()


async def test_a_stop_while_a_command_is_being_recorded_hands_its_job_back(
    pod: SymphonyPod, settings_for: ConfigMaker, tmp_path: Path
) -> None:
    """The worker started for a command waits for its record; stopped meanwhile, it hands the
    job back once the record lands, so the next start runs it at once (not after its lease)."""
    app = await start_bot(settings_for())
    blocker = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    try:
        await pod.wait_until_listening()
        blocker.execute("BEGIN IMMEDIATE")  # the record waits for this lock
        release = pod.hold_next("GET", r"/pod/v3/room/.*/info")
        pod.say(ALICE, DESK, "/kick @bob")
        await pod.wait_for_calls("GET", r"/pod/v3/room/.*/info", 1)  # looked up ahead
        assert app.dispatcher is not None
        stopping = asyncio.create_task(app.dispatcher.cancel())  # the process is stopped
        await asyncio.sleep(0.2)
        blocker.execute("ROLLBACK")  # now the record lands
        await asyncio.wait_for(stopping, timeout=10)
        await app.stop(grace_seconds=0)
        release.set()
    finally:
        blocker.close()
    assert BOB in pod.room(DESK).members

    again = await start_bot(settings_for())
    try:
        queue = finished(again)
        case, _ = await asyncio.wait_for(queue.get(), timeout=20)
        assert case == 1
        assert BOB not in pod.room(DESK).members
        assert len(changes(pod)) == 1
    finally:
        await again.stop()


def kick_in_desk(event_id: str, target: int) -> Invocation:
    """``/kick @target`` by Alice in the desk, as the Symphony adapter hands it over."""
    return Invocation(
        platform="symphony",
        event_id=event_id,
        room=RoomRef(url_safe_id(DESK)),
        caller=UserRef(str(ALICE), "Alice Owner", "alice@example.com"),
        tokens=(Word("/kick"), MentionToken(UserRef(str(target)), f"@{target}")),
    )


async def test_commands_received_together_are_recorded_in_their_order(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    """Events of one datafeed batch are handed over side by side: the first starts the room's
    worker (record and claim), the next ones are only recorded; the cases keep their order."""
    app = await start_bot(settings_for())
    try:
        assert app.dispatcher is not None
        await pod.wait_until_listening()
        arriving = [("e-1", BOB), ("e-2", DAVE), ("e-3", BOB)]
        await asyncio.gather(*(app.dispatcher.submit(kick_in_desk(e, t)) for e, t in arriving))
        replies = [(await pod.next_message(DESK, timeout=15)).text for _ in arriving]
    finally:
        await app.stop()
    assert "case 1: 1 done\nRemoved @Bob Member." in replies[0]
    assert "case 2: 1 done\nRemoved @Dave External." in replies[1]
    assert "case 3: 1 refused\n@Bob Member is not a member" in replies[2], replies[2]


async def test_a_command_whose_recording_is_cut_off_still_runs_once_recorded(
    pod: SymphonyPod, settings_for: ConfigMaker, tmp_path: Path
) -> None:
    """The event callback waiting for the record is cancelled (a platform's client stopping
    it): the record still lands, and its job still reaches the worker started for it."""
    app = await start_bot(settings_for())
    blocker = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    try:
        assert app.dispatcher is not None
        await pod.wait_until_listening()
        blocker.execute("BEGIN IMMEDIATE")  # the record waits for this lock
        receiving = asyncio.create_task(app.dispatcher.submit(kick_in_desk("cut-off", BOB)))
        await pod.wait_for_calls("GET", r"/pod/v3/room/.*/info", 1)  # looked up ahead
        receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiving
        blocker.execute("ROLLBACK")  # now the record lands
        reply = await pod.next_message(DESK, timeout=20.0)
        assert "Removed @Bob Member." in reply.text
        assert len(changes(pod)) == 1
    finally:
        blocker.close()
        await app.stop()


async def test_the_datafeed_loop_is_restarted_after_it_dies(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with running(pod, settings_for()):
        # A 400 on read ("the feed no longer exists") ends the BDK's loop for good.
        pod.fail_next("POST", r"/agent/v5/datafeeds/.*/read", 400)
        await pod.wait_for_calls("POST", r"/agent/v5/datafeeds/.*/read", 1)
        reply = await _say_and_read(pod, DESK, "/kick @bob")
        assert "Removed @Bob Member." in reply
