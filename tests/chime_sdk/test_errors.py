"""Throttling, an unavailable service and every declared error, as the room reads them."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from bot.platforms.chime_sdk.errors import SENTENCES
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel


def test_every_error_either_model_declares_has_its_own_sentence() -> None:
    declared = set()
    for name in ("chime-sdk-messaging", "chime-sdk-identity"):
        model = botocore.session.get_session().get_service_model(name)
        for operation in model.operation_names:
            declared |= {s.name for s in model.operation_model(operation).error_shapes}
    assert declared == set(SENTENCES)
    assert len(set(SENTENCES.values())) == len(SENTENCES)


RETRIED: dict[str, tuple[str, dict[str, Any], str, list[int]]] = {
    "429": ("ThrottledClientException", {"retry_after": 0.05}, "1 done", [429, 204]),
    "503": ("ServiceUnavailableException", {"times": 5}, "1 failed", [503] * 5),
}
"""A throttled call is retried until it goes through; an unavailable service until the
attempts (``retry_attempts``: 5) run out, and then said."""


@pytest.mark.parametrize("status", list(RETRIED))
async def test_a_throttled_or_unavailable_call_is_retried(
    desk: Channel, sdk: ChimeSdkDouble, status: str
) -> None:
    error, failing, outcome, statuses = RETRIED[status]
    sdk.fail_next("DeleteChannelMembership", error, **failing)
    reply = await desk.say("alice", "/kick @bob")
    assert outcome in reply, reply
    assert [c.status for c in sdk.calls("DeleteChannelMembership")] == statuses
    failed = outcome == "1 failed"
    assert ("bob" in desk.members) is failed
    if failed:
        assert SENTENCES[error] in reply


@pytest.mark.parametrize(
    "error", ["ForbiddenException", "ConflictException", "UnauthorizedClientException"]
)
async def test_a_refusal_is_said_in_its_own_words(
    desk: Channel, sdk: ChimeSdkDouble, error: str
) -> None:
    sdk.fail_next("DeleteChannelMembership", error, message="no <b>way</b>")
    reply = await desk.say("alice", "/kick @bob")
    assert "1 failed" in reply, reply
    assert SENTENCES[error] in reply
    assert "no <b>way</b>" in reply  # AWS's own message, shown (escaped) after the sentence
    assert len(sdk.calls("DeleteChannelMembership")) == 1  # a refusal is not retried


async def test_a_removal_whose_answer_is_lost_is_done(desk: Channel, sdk: ChimeSdkDouble) -> None:
    sdk.fail_next("DeleteChannelMembership", "ServiceFailureException", after_effect=True)
    reply = await desk.say("alice", "/kick @bob")
    assert "1 done" in reply, reply
    assert "bob" not in desk.members
    reply = await desk.say("alice", "/undo")
    assert "Re-added @bob" in reply, reply


async def test_a_reply_retried_after_a_lost_answer_is_one_message(
    desk: Channel, sdk: ChimeSdkDouble
) -> None:
    sdk.fail_next("SendChannelMessage", "ServiceUnavailableException", after_effect=True)
    await desk.say("alice", "/help")
    calls = await sdk.wait_for_recorded(
        lambda c: c.operation == "SendChannelMessage" and c.status is not None, 2
    )
    assert [c.status for c in calls] == [503, 201]
    assert calls[0].body["ClientRequestToken"] == calls[1].body["ClientRequestToken"]
    assert len(sdk.bot_messages(desk.arn)) == 1
