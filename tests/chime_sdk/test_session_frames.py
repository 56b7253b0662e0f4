"""Session frames are hostile input: anything not shaped as the guide's message structure is
dropped, never raised on; timestamps are read in every form the service may write."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.model import ReadPosition
from bot.platforms.chime_sdk.session_wire import parse_frame, position, timestamp

HEADERS = {
    "x-amz-chime-event-type": "CREATE_CHANNEL_MESSAGE",
    "x-amz-chime-message-type": "STANDARD",
}


def test_a_message_event_is_read_with_its_payload() -> None:
    message = {"ChannelArn": "arn:c", "MessageId": "m1", "Content": "/help"}
    frame = parse_frame(json.dumps({"Headers": HEADERS, "Payload": json.dumps(message)}))
    assert frame is not None
    assert frame.event_type == "CREATE_CHANNEL_MESSAGE"
    assert frame.message_type == "STANDARD"
    assert frame.payload == message


def test_session_established_has_no_payload() -> None:
    raw = json.dumps({"Headers": {"x-amz-chime-event-type": "SESSION_ESTABLISHED"}})
    frame = parse_frame(raw)
    assert frame is not None
    assert frame.event_type == "SESSION_ESTABLISHED"
    assert frame.payload is None
    assert frame.message_type is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        "[1, 2]",
        json.dumps({"Payload": "{}"}),
        json.dumps({"Headers": ["x"]}),
        json.dumps({"Headers": {"x-amz-chime-event-type": 5}}),
        json.dumps({"Headers": {}}),
        "[" * 100_000,
        b"\xff\xfe",
    ],
)
def test_junk_is_dropped(raw: str | bytes) -> None:
    assert parse_frame(raw) is None


@pytest.mark.parametrize("payload", ["", "not json", "[1]", 7, "[" * 100_000])
def test_a_payload_that_is_not_an_object_is_none(payload: object) -> None:
    frame = parse_frame(json.dumps({"Headers": HEADERS, "Payload": payload}))
    assert frame is not None
    assert frame.payload is None


def test_timestamps_in_every_form() -> None:
    at = datetime(2026, 12, 7, 14, 0, 0, 250000, tzinfo=UTC)
    epoch = at.timestamp()
    assert timestamp(at) == epoch
    assert timestamp(epoch) == epoch
    assert timestamp(epoch * 1000) == pytest.approx(epoch)  # milliseconds
    assert timestamp("2026-12-07T14:00:00.250Z") == epoch
    assert timestamp("2026-12-07T14:00:00.250+00:00") == epoch
    assert timestamp(str(epoch)) == epoch
    for junk in (None, True, "", "yesterday", float("nan"), float("inf"), -1, [epoch]):
        assert timestamp(junk) is None


def test_a_message_position_needs_an_id_and_a_time() -> None:
    assert position({"MessageId": "m", "CreatedTimestamp": 5.5}) == ReadPosition(5.5, "m")
    assert position({"MessageId": "", "CreatedTimestamp": 5.5}) is None
    assert position({"MessageId": "m"}) is None
    assert position({"MessageId": 3, "CreatedTimestamp": 5.5}) is None
