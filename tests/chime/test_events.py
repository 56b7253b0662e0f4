"""Chime's bot events at kickbot's endpoint: signatures, staleness, retries, the handshake."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.model import Invocation
from bot.platforms.chime.adapter import ChimePlatform
from bot.testing.chime.double import ChimeDouble
from bot.testing.chime.events import chime_timestamp, signature
from tests.chime.conftest import ALICE, BOB, DESK, EMAIL, ConfigMaker, Room, path, start_bot
from tests.kit import cases


def kick_bob(chime: ChimeDouble) -> bytes:
    message = f"{chime.events.mention_prefix()} /kick @bob@example.com"
    return chime.events.mention_body(EMAIL[ALICE], DESK, message)


async def test_signed_event_is_acted_on(chime: ChimeDouble, bot: App, desk: Room) -> None:
    delivery = await chime.events.send(kick_bob(chime))
    assert [a.status for a in delivery.attempts] == [200]
    assert delivery.attempts[0].seconds < 2.0
    reply = await chime.next_message(DESK)
    assert "Removed @bob@example.com." in reply.text
    assert await cases(bot) == 1


async def test_forged_event_is_refused_and_nothing_recorded(
    chime: ChimeDouble, bot: App, desk: Room
) -> None:
    delivery = await chime.events.send(kick_bob(chime), token="not-the-bot-token")
    assert [a.status for a in delivery.attempts] == [401]  # a 4xx is not retried
    assert await cases(bot) == 0
    assert [c for c in chime.requests if c.operation] == []  # not even a lookup
    assert BOB in desk.roles


async def test_tampered_body_is_refused(chime: ChimeDouble, bot: App) -> None:
    body = kick_bob(chime)
    at = datetime.now(UTC)
    good = signature(chime.security_token, chime_timestamp(at), body)
    tampered = body.replace(b"/kick", b"/kick @carol@example.com")
    delivery = await chime.events.send(tampered, at=at, signature_header=good, retries=False)
    assert delivery.status == 401
    assert await cases(bot) == 0
    # The same header on the untouched body is accepted: only the body made the difference.
    genuine = await chime.events.send(body, at=at, signature_header=good, retries=False)
    assert genuine.status == 200


async def test_unsigned_event_is_refused(chime: ChimeDouble, bot: App) -> None:
    delivery = await chime.events.send(kick_bob(chime), signed=False)
    assert delivery.status == 401
    assert await cases(bot) == 0


async def test_stale_and_future_events_are_refused(chime: ChimeDouble, bot: App) -> None:
    now = datetime.now(UTC)
    for at in (now - timedelta(minutes=6), now + timedelta(minutes=6)):
        delivery = await chime.events.send(kick_bob(chime), at=at)
        assert delivery.status == 401, at
    assert await cases(bot) == 0
    # Within five minutes is fine (clocks drift).
    delivery = await chime.events.send(kick_bob(chime), at=now - timedelta(minutes=4))
    assert delivery.status == 200
    assert "Removed" in (await chime.next_message(DESK)).text


async def test_retried_event_acts_once(chime: ChimeDouble, bot: App, desk: Room) -> None:
    body = kick_bob(chime)
    first = await chime.events.send(body)
    second = await chime.events.send(body)  # Chime's retry: same body, a new timestamp
    assert first.status == second.status == 200
    assert first.attempts[0].timestamp != second.attempts[0].timestamp
    assert "Removed @bob@example.com." in (await chime.next_message(DESK)).text
    reply = await desk.say(ALICE, "/help")
    assert "Commands you may use here" in reply.text  # the next reply is /help's: no second kick
    assert chime.state_changes() == [f"DELETE {path(DESK, BOB)}"]
    assert await cases(bot) == 2


async def test_endpoint_verification_challenge(chime: ChimeDouble, bot: App) -> None:
    ok, delivery = await chime.events.verify_endpoint()
    assert ok, delivery.attempts
    assert json.loads(delivery.attempts[0].body) == {"Challenge": delivery.event["Challenge"]}
    # A signed challenge is checked like any event.
    forged = await chime.events.send(delivery.body, token="wrong", retries=False)
    assert forged.status == 401
    signed = await chime.events.send(delivery.body, retries=False)
    assert json.loads(signed.attempts[0].body)["Challenge"] == delivery.event["Challenge"]
    assert await cases(bot) == 0


async def test_other_events_are_answered_and_ignored(chime: ChimeDouble, bot: App) -> None:
    invite = chime.events.mention_body(EMAIL[ALICE], DESK, "", event_type="Invite")
    outside = chime.events.mention_body(
        EMAIL[ALICE], DESK, "@kickbot@example.com /kick @bob@example.com",
        discussion_type="Conversation",
    )  # fmt: skip
    bare = chime.events.mention_body(EMAIL[ALICE], DESK, "@kickbot@example.com")
    for body in (invite, outside, bare):
        assert (await chime.events.send(body)).status == 200
    assert await cases(bot) == 0
    assert chime.state_changes() == []


async def test_malformed_signed_event_is_a_400(chime: ChimeDouble, bot: App) -> None:
    body = json.dumps({"EventType": "Mention", "Message": "/kick"}).encode()
    assert (await chime.events.send(body)).status == 400
    assert (await chime.events.send(b"[1, 2]")).status == 400
    assert await cases(bot) == 0


async def test_answer_comes_before_the_work(chime: ChimeDouble, bot: App, desk: Room) -> None:
    release = chime.hold_next("DeleteRoomMembership")
    delivery = await chime.events.send(kick_bob(chime))
    assert delivery.status == 200  # answered while the removal is still held
    await chime.wait_for_calls("DeleteRoomMembership")
    assert chime.messages(DESK) == []
    release.set()
    assert "Removed @bob@example.com." in (await chime.next_message(DESK)).text


async def test_slow_sender_lookup_answers_503_and_the_retry_works(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    app = await start_bot(settings_for({"resolve_timeout_seconds": 0.3}), chime)
    try:
        release = chime.hold_next("ListRoomMemberships")
        body = kick_bob(chime)
        first = await chime.events.send(body, retries=False)
        assert first.status == 503  # Chime retries a 5xx
        assert first.attempts[0].seconds < 2.0
        assert await cases(app) == 0
        release.set()
        await chime.wait_for_recorded(
            lambda c: c.operation == "ListRoomMemberships" and c.status is not None
        )
        second = await chime.events.send(body, retries=False)
        assert second.status == 200
        assert "Removed @bob@example.com." in (await chime.next_message(DESK)).text
        assert len(chime.calls("DeleteRoomMembership")) == 1
    finally:
        await app.stop()


async def test_recording_failure_makes_chime_retry(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    settings = settings_for()
    assert settings.chime is not None
    platform = ChimePlatform(settings.chime)
    recorded: list[Invocation] = []

    async def broken_store(inv: Invocation) -> None:
        raise OSError("disk full")

    await platform.start(broken_store)
    try:
        delivery = await chime.events.send(kick_bob(chime), url=platform.listen_url)
        assert [a.status for a in delivery.attempts] == [500, 500, 500]  # Chime's two retries
        await platform.stop()

        async def store(inv: Invocation) -> None:
            recorded.append(inv)

        await platform.start(store)
        again = await chime.events.send(delivery.body, url=platform.listen_url)
        assert again.status == 200
        assert [i.event_id for i in recorded] == [hashlib.sha256(delivery.body).hexdigest()]
        assert recorded[0].caller.id == ALICE
        assert recorded[0].thread == delivery.event["InboundHttpsEndpoint"]["Url"]
    finally:
        await platform.stop()
        await platform.close()
    assert chime.state_changes() == []
