"""Every Chime error becomes a clear line; 429 and 503 are retried, nothing lost or doubled."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, DESK, ConfigMaker, Room, path, start_bot

FAIL = "Could not remove @bob@example.com: "


@pytest.mark.parametrize(
    ("error", "undeclared", "expected"),
    [
        ("BadRequest", False, "the platform refused (HTTP 400): BadRequest: Chime says no"),
        ("Unauthorized", False, "the bot's session was refused (401); check its credentials."),
        ("Forbidden", False, "the platform refused (403), the bot lacks the right here: Forbidden"),
        ("NotFound", False, "not found (404): NotFound: Chime says no"),
        ("Conflict", True, "the platform refused (HTTP 409): Conflict: Chime says no"),
        ("Unprocessable", True, "the platform refused (HTTP 422): Unprocessable: Chime says no"),
        ("ServiceFailure", False, "the platform failed (HTTP 500); it may not have changed."),
    ],
)
async def test_each_error_is_a_clear_line(
    chime: ChimeDouble, desk: Room, error: str, undeclared: bool, expected: str
) -> None:
    # 409 and 422 are not declared for DeleteRoomMembership in the model; they are sent anyway
    # (undeclared=True) to show any Chime error code still reads clearly.
    chime.fail_next("DeleteRoomMembership", error, message="Chime says no", undeclared=undeclared)
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert FAIL + expected in reply.text
    assert "1 failed" in reply.text
    assert BOB in desk.roles
    assert len(chime.calls("DeleteRoomMembership")) == 1  # none of these is retried


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("ThrottledClientException", "the platform is rate-limiting the bot (429); try again"),
        ("ServiceUnavailableException", "the platform failed (HTTP 503); it may not have changed"),
    ],
)
async def test_429_and_503_are_retried_a_bounded_number_of_times(
    chime: ChimeDouble, desk: Room, error: str, expected: str
) -> None:
    chime.fail_next("DeleteRoomMembership", error, times=50)
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert FAIL + expected in reply.text
    assert len(chime.calls("DeleteRoomMembership")) == 5  # retry_attempts
    assert BOB in desk.roles


async def test_throttled_removal_is_retried_once_done(chime: ChimeDouble, desk: Room) -> None:
    chime.throttle_next("DeleteRoomMembership", times=2, retry_after=0.15)
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert "Removed @bob@example.com." in reply.text
    assert "1 done" in reply.text
    calls = chime.calls("DeleteRoomMembership")
    assert [c.status for c in calls] == [429, 429, 204]
    # Retry-After was honoured between the attempts.
    assert calls[1].at - calls[0].at >= 0.15
    assert calls[2].at - calls[1].at >= 0.15
    assert BOB not in desk.roles
    assert len(chime.messages(DESK)) == 1


async def test_lost_answer_then_404_is_reported_truthfully_as_done(
    chime: ChimeDouble, desk: Room, bot: App
) -> None:
    # The first DELETE removes Bob but its answer is lost (503); the retry meets a 404.
    chime.fail_next("DeleteRoomMembership", "ServiceUnavailable", after_effect=True)
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert "Removed @bob@example.com." in reply.text
    assert [c.status for c in chime.calls("DeleteRoomMembership")] == [503, 404]
    assert BOB not in desk.roles
    assert bot.store is not None
    (row,) = await bot.store.audit()
    (result,) = row.results
    assert result["result"] == "done"
    said = result["platform_response"]
    assert said.startswith("answer lost (404 NotFound")
    assert "looked: the member list no longer lists them" in said


async def test_retry_404_while_still_a_member_is_a_failure(chime: ChimeDouble, desk: Room) -> None:
    chime.fail_next("DeleteRoomMembership", "ServiceUnavailable")  # no effect
    chime.fail_next("DeleteRoomMembership", "NotFound", message="Odd, but true")
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert FAIL + "not found (404): NotFound: Odd, but true" in reply.text
    assert BOB in desk.roles


async def test_throttled_lookups_are_retried(chime: ChimeDouble, desk: Room) -> None:
    chime.throttle_next("ListRoomMemberships", times=2)
    chime.throttle_next("GetRoom", times=1)
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert "Removed @bob@example.com." in reply.text
    assert chime.state_changes() == [f"DELETE {path(DESK, BOB)}"]


async def test_throttled_webhook_reply_is_retried(chime: ChimeDouble, desk: Room) -> None:
    chime.fail_next_webhook(429, retry_after=0.1)
    reply = await desk.say(ALICE, "/kick @bob@example.com")
    assert "Removed @bob@example.com." in reply.text
    assert chime.webhook_statuses(DESK) == [429, 200]
    assert len(chime.calls("DeleteRoomMembership")) == 1


async def test_expired_webhook_loses_only_the_reply(
    chime: ChimeDouble, bot: App, desk: Room
) -> None:
    finished = asyncio.Event()
    assert bot.dispatcher is not None
    bot.dispatcher.on_finished.append(lambda case, outcome: finished.set())
    release = chime.hold_next("DeleteRoomMembership")
    await desk.send(ALICE, "/kick @bob@example.com")
    await chime.wait_for_calls("DeleteRoomMembership")
    chime.expire_webhooks()  # the Mention's URL lives 2 minutes
    release.set()
    await asyncio.wait_for(finished.wait(), 10)
    assert chime.webhook_statuses(DESK) == [404]  # not retried: a new try would not help
    assert BOB not in desk.roles
    assert bot.store is not None
    (row,) = await bot.store.audit()
    assert row.outcome == "report"  # the case is closed and audited all the same


async def test_unreachable_api_asks_chime_to_retry(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    app = await start_bot(
        settings_for({"endpoint_url": "http://127.0.0.1:9", "resolve_timeout_seconds": 0.5}),
        chime,
    )
    try:
        delivery = await chime.events.mention("alice@example.com", DESK, "/kick @bob@example.com")
        assert [a.status for a in delivery.attempts] == [503, 503, 503]
        assert app.store is not None
        assert await app.store.audit() == []
    finally:
        await app.stop()


async def test_lost_answer_of_a_re_add_then_409_is_reported_as_done(
    chime: ChimeDouble, desk: Room
) -> None:
    await desk.say(ALICE, "/kick @bob@example.com")
    chime.fail_next("CreateRoomMembership", "ServiceUnavailable", after_effect=True)
    reply = await desk.say(ALICE, "/undo")
    assert "Re-added @bob@example.com." in reply.text
    assert [c.status for c in chime.calls("CreateRoomMembership")] == [503, 409]
    assert desk.roles[BOB] == "Member"
