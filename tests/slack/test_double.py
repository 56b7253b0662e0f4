"""The Slack double itself: it answers like Slack and refuses what Slack (or its spec) refuses,
so that a green test means something. Driven with slack_sdk's own AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, DESK, SECRET, make_workspace


@pytest.fixture
async def raw() -> AsyncIterator[SlackWorkspace]:
    """A workspace whose violations each test inspects itself."""
    async with make_workspace() as workspace:
        yield workspace


def client(slack: SlackWorkspace, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token or slack.bot_token, base_url=slack.api_url)


async def test_errors_are_http_200_with_ok_false(raw: SlackWorkspace) -> None:
    with pytest.raises(SlackApiError) as err:
        await client(raw).conversations_kick(channel=DESK, user="U0NOBODY")
    assert err.value.response.status_code == 200
    assert err.value.response.data == {"ok": False, "error": "user_not_found"}
    raw.assert_no_violations()


async def test_a_kick_without_user_is_a_violation(raw: SlackWorkspace) -> None:
    with pytest.raises(SlackApiError):
        await client(raw).api_call("conversations.kick", params={"channel": DESK})
    assert raw.violations == [
        "[spec-gap: ['user'] missing] POST /api/conversations.kick: invalid_arguments"
    ]


async def test_a_misspelt_method_is_a_violation(raw: SlackWorkspace) -> None:
    with pytest.raises(SlackApiError) as err:
        await client(raw).api_call("conversations.kik", params={"channel": DESK})
    assert err.value.response["error"] == "unknown_method"
    assert raw.violations[0].startswith("[unimplemented]")


async def test_a_wrongly_typed_argument_breaks_the_spec(raw: SlackWorkspace) -> None:
    with pytest.raises(SlackApiError):
        await client(raw).api_call("chat.postMessage", json={"channel": DESK, "text": 5})
    assert raw.violations[0].startswith("[spec: InvalidRequestBody")


async def test_token_rules(raw: SlackWorkspace) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(raw.api_url + "auth.test") as response:
            assert (await response.json())["error"] == "not_authed"
        form = {"token": raw.bot_token}
        async with session.post(raw.api_url + "auth.test", data=form) as response:
            assert (await response.json())["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as err:
        await client(raw, raw.app_token).auth_test()
    assert err.value.response["error"] == "not_allowed_token_type"
    assert [v.split("]")[0] for v in raw.violations] == [
        "[auth: no Authorization: Bearer header",
        "[auth: token sent as a parameter",
        "[auth: needs the bot token",
    ]
    raw.violations.clear()
    raw.revoke_bot_token()  # a revoked token is life, not a bug in the bot
    with pytest.raises(SlackApiError):
        await client(raw).auth_test()
    raw.assert_no_violations()


async def test_members_paginate_through_the_sdk(raw: SlackWorkspace) -> None:
    pages = [
        page["members"]
        async for page in await client(raw).conversations_members(channel=DESK, limit=2)
    ]
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [m for p in pages for m in p] == raw.members(DESK)
    raw.assert_no_violations()


async def test_private_channel_is_invisible_unless_the_bot_is_in_it(raw: SlackWorkspace) -> None:
    raw.channel(SECRET).members.remove(raw.bot_user_id)
    with pytest.raises(SlackApiError) as err:
        await client(raw).conversations_info(channel=SECRET)
    assert err.value.response["error"] == "channel_not_found"


async def test_missing_scope_names_the_needed_one() -> None:
    async with make_workspace({"channels:read"}) as slack:
        with pytest.raises(SlackApiError) as err:
            await client(slack).conversations_kick(channel=DESK, user=BOB)
        assert err.value.response["needed"] == "channels:manage,channels:write"
        assert BOB in slack.members(DESK)


async def test_rate_limit_answers_429_with_retry_after(raw: SlackWorkspace) -> None:
    raw.rate_limit_next("users.info", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client(raw).users_info(user=ALICE)
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert (await client(raw).users_info(user=ALICE))["user"]["is_admin"] is True


async def test_replying_to_a_reply_is_flagged(raw: SlackWorkspace) -> None:
    parent = raw.mention(ALICE, DESK, "hello")["event"]["ts"]
    reply_ts = raw.mention(BOB, DESK, "hi", thread_ts=parent)["event"]["ts"]
    await client(raw).chat_postMessage(channel=DESK, text="ok", thread_ts=parent)
    raw.assert_no_violations()
    await client(raw).chat_postMessage(channel=DESK, text="ok", thread_ts=reply_ts)
    assert raw.violations == [f"[thread] thread_ts {reply_ts} is a reply, not a thread's parent"]


async def test_socket_mode_refuses_unknown_acks(raw: SlackWorkspace) -> None:
    url = (await client(raw).apps_connections_open(app_token=raw.app_token))["url"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = await ws.receive_json()
        assert hello["type"] == "hello"
        envelope = await raw.socket.send("events_api", {"event_id": "Ev1"})
        got = await ws.receive_json()
        assert got["envelope_id"] == envelope
        await ws.send_json({"envelope_id": "not-sent"})
        await ws.send_json({"envelope_id": envelope})
        assert (await raw.socket.wait_for_ack(envelope)) == {"envelope_id": envelope}
    assert raw.violations == ["[socket] ack of an envelope never sent: not-sent"]
    async with aiohttp.ClientSession() as session:  # the URL was single-use
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)
