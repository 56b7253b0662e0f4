"""The emulated Symphony pod, driven by the real BDK and by raw HTTP.

The BDK half proves the double is good enough for the real SDK (strict pydantic models, the
datafeed loop, retries); the raw half proves the double refuses what the spec refuses.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from symphony.bdk.core.activity.parsing.input_tokenizer import InputTokenizer
from symphony.bdk.core.activity.parsing.message_entities import Mention
from symphony.bdk.core.config.loader import BdkConfigLoader
from symphony.bdk.core.extension import BdkApiClientFactoryAware, BdkAuthenticationAware
from symphony.bdk.core.service.datafeed.exception import EventError
from symphony.bdk.core.service.datafeed.real_time_event_listener import RealTimeEventListener
from symphony.bdk.core.symphony_bdk import SymphonyBdk
from symphony.bdk.gen.exceptions import ApiException, BadRequestException, ForbiddenException
from symphony.bdk.gen.pod_api.info_barriers_api import InfoBarriersApi
from yarl import URL

from bot.testing import SpecViolation, spec_check
from bot.testing.spec_check import SpecRequest, SpecResponse
from bot.testing.symphony import USER_PROVISIONING, SymphonyPod
from bot.testing.symphony.state import SimUser, standard_id

BOT, JANE, BOB, ERIN, CAROL = 1000, 2, 3, 4, 5
ROOM = "hJ4x+Kq/ZW9vbQ=="  # standard base64 with + and /: URLs carry "hJ4x-Kq_ZW9vbQ"
GROUP = "571db1f2e4b027c4f055a594"


@pytest.fixture
async def pod() -> AsyncIterator[SymphonyPod]:
    async with SymphonyPod(hold_seconds=0.2) as pod:
        pod.add_user(JANE, "Jane Doe", username="jane")
        pod.add_user(BOB, "Bob Member", username="bob")
        pod.add_user(ERIN, "Erin Departed", username="erin", active=False)
        pod.add_user(CAROL, "Carol", username="carol")
        pod.add_room(ROOM, "Desk", owners=[JANE], members=[BOT, BOB, ERIN])
        pod.add_ib_group(GROUP, "Research", members=[BOB, ERIN])
        yield pod


def bdk_for(pod: SymphonyPod, key: Path) -> SymphonyBdk:
    return SymphonyBdk(BdkConfigLoader.load_from_content(json.dumps(pod.bdk_config(key))))


@pytest.fixture
async def bdk(pod: SymphonyPod, tmp_path: Path) -> AsyncIterator[SymphonyBdk]:
    async with bdk_for(pod, pod.write_private_key(tmp_path / "bot.pem")) as bdk:
        yield bdk


class Inbox(RealTimeEventListener):  # type: ignore[misc]
    """Collects MESSAGESENT events; raises EventError for the first ``fail`` of them."""

    def __init__(self, fail: int = 0, events: asyncio.Queue[Any] | None = None) -> None:
        self.events: asyncio.Queue[Any] = asyncio.Queue() if events is None else events
        self.fail = fail

    async def on_message_sent(self, initiator: Any, event: Any) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise EventError("not now")
        await self.events.put(event)

    async def next(self) -> Any:
        return await asyncio.wait_for(self.events.get(), 10)


async def listen(pod: SymphonyPod, bdk: SymphonyBdk, inbox: Inbox) -> asyncio.Task[None]:
    bdk.datafeed().subscribe(inbox)
    task = asyncio.create_task(bdk.datafeed().start())
    await pod.wait_until_listening()
    return task


async def stop(bdk: SymphonyBdk, task: asyncio.Task[None]) -> None:
    await bdk.datafeed().stop()
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def inbox(pod: SymphonyPod, bdk: SymphonyBdk) -> AsyncIterator[Inbox]:
    inbox = Inbox()
    task = await listen(pod, bdk, inbox)
    yield inbox
    await stop(bdk, task)


class PodApis(BdkApiClientFactoryAware, BdkAuthenticationAware):  # type: ignore[misc]
    """The supported way to reach generated APIs the BDK does not wrap (IB groups)."""

    def set_api_client_factory(self, api_client_factory: Any) -> None:
        self.factory = api_client_factory

    def set_bot_session(self, auth_session: Any) -> None:
        self.session = auth_session

    async def ib_remove(self, gid: str, users: list[int]) -> Any:
        api = InfoBarriersApi(self.factory.get_pod_client())
        token = await self.session.session_token
        return await api.v1_admin_group_gid_membership_remove_post(
            gid=gid, session_token=token, users=users
        )


# -- the real BDK against the double ----------------------------------------------------------


async def test_datafeed_delivers_a_mention(pod: SymphonyPod, inbox: Inbox) -> None:
    message_id = pod.say(JANE, ROOM, "/kick @bob for <spam> & @nobody")
    event = await inbox.next()
    assert event.message.message_id == message_id
    assert event.message.stream.stream_id == "hJ4x-Kq_ZW9vbQ"
    assert event.message.user.user_id == JANE
    mentions = [t for t in InputTokenizer(event.message).tokens if isinstance(t, Mention)]
    assert [(m.user_id, m.user_display_name) for m in mentions] == [(BOB, "Bob Member")]
    assert "&lt;spam&gt; &amp; @nobody" in event.message.message
    pod.assert_no_violations()


async def test_said_before_the_feed_exists_still_arrives(
    pod: SymphonyPod, bdk: SymphonyBdk
) -> None:
    pod.say(JANE, ROOM, "early")
    inbox = Inbox()
    task = await listen(pod, bdk, inbox)
    try:
        assert "early" in (await inbox.next()).message.message
    finally:
        await stop(bdk, task)


async def test_sent_message_is_stored_and_own_event_ignored(
    pod: SymphonyPod, bdk: SymphonyBdk, inbox: Inbox
) -> None:
    sent = await bdk.messages().send_message(
        "hJ4x-Kq_ZW9vbQ", '<messageML>hi <mention uid="2"/>, <b>done</b></messageML>'
    )
    message = await pod.next_message(ROOM)
    assert message.message_id == sent.message_id
    assert message.text == "hi @Jane Doe, done"
    assert message.messageml.startswith("<messageML>hi <mention")
    assert message.user_id == BOT
    assert pod.messages(ROOM) == [message]
    pod.say(JANE, ROOM, "after")  # the bot's own MESSAGESENT was on the feed first, and dropped
    assert "after" in (await inbox.next()).message.message
    assert inbox.events.empty()
    pod.assert_no_violations()


async def test_im_is_a_stream_but_not_a_room(
    pod: SymphonyPod, bdk: SymphonyBdk, inbox: Inbox
) -> None:
    im = pod.add_im(JANE)
    pod.say(JANE, im.stream_id, "hi bot")
    assert (await inbox.next()).message.stream.stream_type == "IM"
    await bdk.messages().send_message(im.stream_id, "<messageML>hello</messageML>")
    assert (await pod.next_message(im.stream_id)).text == "hello"
    with pytest.raises(BadRequestException, match="not a room"):
        await bdk.streams().get_room_info(im.stream_id)
    pod.assert_no_violations()


async def test_room_calls(pod: SymphonyPod, bdk: SymphonyBdk) -> None:
    streams = bdk.streams()
    info = await streams.get_room_info("hJ4x-Kq_ZW9vbQ")
    assert (info.room_attributes.name, info.room_system_info.active) == ("Desk", True)
    members = await streams.list_room_members("hJ4x-Kq_ZW9vbQ")
    assert {(m.id, m.owner) for m in members} == {
        (JANE, True),
        (BOT, False),
        (BOB, False),
        (ERIN, False),
    }
    await streams.remove_member_from_room(BOB, "hJ4x-Kq_ZW9vbQ")
    assert BOB not in pod.room(ROOM).members
    with pytest.raises(BadRequestException, match="not a member"):
        await streams.remove_member_from_room(BOB, "hJ4x-Kq_ZW9vbQ")
    with pytest.raises(BadRequestException, match="last owner"):
        await streams.demote_owner_to_room_participant(JANE, "hJ4x-Kq_ZW9vbQ")
    await streams.add_member_to_room(CAROL, "hJ4x-Kq_ZW9vbQ")
    await streams.promote_user_to_room_owner(CAROL, "hJ4x-Kq_ZW9vbQ")
    await streams.demote_owner_to_room_participant(JANE, "hJ4x-Kq_ZW9vbQ")
    assert pod.room(ROOM).members[JANE] is False
    await streams.remove_member_from_room(CAROL, "hJ4x-Kq_ZW9vbQ")  # the last owner: allowed
    assert pod.room(ROOM).owners == set()
    pod.assert_no_violations()


async def test_deactivated_room_locks_membership_and_messages(
    pod: SymphonyPod, bdk: SymphonyBdk
) -> None:
    pod.deactivate_room(ROOM)
    assert not (await bdk.streams().get_room_info("hJ4x-Kq_ZW9vbQ")).room_system_info.active
    with pytest.raises(BadRequestException, match="deactivated"):
        await bdk.streams().remove_member_from_room(BOB, "hJ4x-Kq_ZW9vbQ")
    with pytest.raises(BadRequestException, match="deactivated"):
        await bdk.messages().send_message("hJ4x-Kq_ZW9vbQ", "<messageML>hi</messageML>")
    assert BOB in pod.room(ROOM).members
    pod.assert_no_violations()


async def test_user_lookup(pod: SymphonyPod, bdk: SymphonyBdk) -> None:
    users = bdk.users()
    deactivated = await users.list_users_by_ids([BOB, ERIN, 99], active=False)
    assert [u.id for u in deactivated.users] == [ERIN]
    everyone = await users.list_users_by_ids([BOB, ERIN])
    assert [u.display_name for u in everyone.users] == ["Bob Member", "Erin Departed"]
    assert await users.list_users_by_ids([99]) is None  # 204: nobody found
    by_name = await users.list_users_by_usernames(["jane"], active=True)
    assert by_name.users[0].email_address == "jane@example.com"
    pod.assert_no_violations()


async def test_ib_group_remove_needs_user_provisioning(pod: SymphonyPod, bdk: SymphonyBdk) -> None:
    apis = PodApis()
    bdk.extensions().register(apis)
    with pytest.raises(ForbiddenException):
        await apis.ib_remove(GROUP, [BOB])
    pod.bot_roles.add(USER_PROVISIONING)
    result = await apis.ib_remove(GROUP, [BOB, ERIN, CAROL])
    assert result.overall_result == "FAIL"
    assert result.results[0] == ""
    assert "deactivated" in result.results[1]
    assert "not a member" in result.results[2]
    assert pod.group(GROUP).members == {ERIN}
    with pytest.raises(BadRequestException, match="not found"):
        await apis.ib_remove("nope", [BOB])
    pod.assert_no_violations()


async def test_sdk_retries_a_passing_500_so_the_removal_arrives_twice(
    pod: SymphonyPod, bdk: SymphonyBdk
) -> None:
    remove = r"/membership/remove$"
    pod.fail_next("POST", remove, 500)
    await bdk.streams().remove_member_from_room(BOB, "hJ4x-Kq_ZW9vbQ")
    assert [c.status for c in pod.calls("POST", remove)] == [500, 200]
    pod.fail_next("POST", remove, 500, times=2)
    with pytest.raises(ApiException) as raised:  # retry.maxAttempts = 2
        await bdk.streams().remove_member_from_room(ERIN, "hJ4x-Kq_ZW9vbQ")
    assert raised.value.status == 500
    assert json.loads(raised.value.body) == {"code": 500, "message": "injected 500"}
    pod.assert_no_violations()


async def test_expired_session_is_renewed(pod: SymphonyPod, bdk: SymphonyBdk) -> None:
    await bdk.streams().get_room_info("hJ4x-Kq_ZW9vbQ")
    pod.expire_sessions()
    await bdk.streams().get_room_info("hJ4x-Kq_ZW9vbQ")
    assert len(pod.calls("POST", "/login/pubkey/authenticate")) == 2
    pod.assert_no_violations()  # a 401 for an expired token is life, not a bug


async def test_unacknowledged_batch_comes_back(pod: SymphonyPod, bdk: SymphonyBdk) -> None:
    inbox = Inbox(fail=1)  # EventError: the BDK does not acknowledge the batch
    task = await listen(pod, bdk, inbox)
    try:
        message_id = pod.say(JANE, ROOM, "hello")
        await pod.wait_for_unacked(1)
        await pod.wait_for_calls("POST", r"/read$", 3)  # the read after the failure
        assert inbox.events.empty()
        assert pod.requeue_unacked() == 1
        assert (await inbox.next()).message.message_id == message_id
        pod.redeliver(message_id)  # Symphony may deliver an acknowledged event again
        assert (await inbox.next()).message.message_id == message_id
    finally:
        await stop(bdk, task)
    pod.assert_no_violations()


async def test_a_400_on_read_kills_the_bdk_loop_and_a_restart_recovers(
    pod: SymphonyPod, bdk: SymphonyBdk
) -> None:
    """BDK 3.0.0 fact for bot authors: the loop does not survive a stale feed.

    On a 400 the BDK deletes and recreates the feed, but it parses the delete's bodiless 204 as a
    V2Error (the spec declares one), fails, and ``start()`` raises. Stop, then start again.
    """
    inbox = Inbox()
    task = await listen(pod, bdk, inbox)
    pod.fail_next("POST", r"/read$", 400)
    with pytest.raises(ValueError, match="V2Error"):  # pydantic's ValidationError
        await asyncio.wait_for(task, 10)
    assert [c.status for c in pod.calls("DELETE", r"/agent/v5/datafeeds/")] == [204]
    await bdk.datafeed().stop()  # else start() says "already started"
    task = asyncio.create_task(bdk.datafeed().start())
    try:
        await pod.wait_for_calls("POST", r"/agent/v5/datafeeds$", 2)  # a new feed
        pod.say(JANE, ROOM, "still there?")
        assert "still there?" in (await inbox.next()).message.message
    finally:
        await stop(bdk, task)
    pod.assert_no_violations()


async def test_two_instances_share_one_feed(pod: SymphonyPod, tmp_path: Path) -> None:
    key = pod.write_private_key(tmp_path / "bot.pem")
    async with bdk_for(pod, key) as first, bdk_for(pod, key) as second:
        shared: asyncio.Queue[Any] = asyncio.Queue()
        one, two = Inbox(events=shared), Inbox(events=shared)
        first_task = await listen(pod, first, one)
        second_task = await listen(pod, second, two)
        try:
            await pod.wait_until_listening(readers=2)
            said = {pod.say(JANE, ROOM, f"message {n}") for n in range(6)}
            received = [(await one.next()).message.message_id for _ in said]
            assert sorted(received) == sorted(said)  # each event once, to one instance
            assert len(pod.datafeeds) == 1
        finally:
            await stop(first, first_task)
            await stop(second, second_task)
        assert shared.empty()  # nothing delivered twice
    pod.assert_no_violations()


# -- raw HTTP: what the double refuses --------------------------------------------------------


@pytest.fixture
async def http(pod: SymphonyPod) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=pod.url) as session:
        yield session


async def tokens(pod: SymphonyPod, http: aiohttp.ClientSession) -> dict[str, str]:
    claims = {"sub": pod.bot_username, "exp": int(time.time()) + 60}
    signed = jwt.encode(claims, pod.private_key_pem, algorithm="RS512")
    headers = {}
    for path, name in [("/login", "sessionToken"), ("/relay", "keyManagerToken")]:
        async with http.post(f"{path}/pubkey/authenticate", json={"token": signed}) as response:
            assert response.status == 200
            headers[name] = (await response.json())["token"]
    return headers


async def new_datafeed(pod: SymphonyPod, http: aiohttp.ClientSession) -> tuple[dict[str, str], str]:
    """The bot's session headers and the read path of a datafeed it has just created."""
    headers = await tokens(pod, http)
    async with http.post("/agent/v5/datafeeds", headers=headers) as response:
        assert response.status == 201
        feed = (await response.json())["id"]
    return headers, f"/agent/v5/datafeeds/{feed}/read"


async def test_login_verifies_the_jwt(pod: SymphonyPod, http: aiohttp.ClientSession) -> None:
    wrong_sub = jwt.encode(
        {"sub": "mallory", "exp": int(time.time()) + 60}, pod.private_key_pem, algorithm="RS512"
    )
    for token in ["not-a-jwt", wrong_sub]:
        async with http.post("/login/pubkey/authenticate", json={"token": token}) as response:
            assert response.status == 401
    assert pod.session_tokens == set()


async def test_wrong_path_is_a_violation(pod: SymphonyPod, http: aiohttp.ClientSession) -> None:
    headers = await tokens(pod, http)
    async with http.get("/pod/v1/room/hJ4x-Kq_ZW9vbQ/info", headers=headers) as response:
        assert response.status == 501
    assert pod.violations == [
        "[unimplemented] GET /pod/v1/room/hJ4x-Kq_ZW9vbQ/info: "
        "Not implemented by the emulated pod: GET /pod/v1/room/hJ4x-Kq_ZW9vbQ/info"
    ]
    with pytest.raises(SpecViolation, match="unimplemented"):
        pod.assert_no_violations()


@pytest.mark.parametrize(
    ("body", "kind"),
    [({"id": "abc"}, "[spec]"), ({"id": 1.5}, "[spec]"), ({}, "[spec-gap]")],
    ids=["string-id", "float-id", "missing-id"],
)
async def test_body_off_the_schema_is_a_violation(
    pod: SymphonyPod, http: aiohttp.ClientSession, body: dict[str, Any], kind: str
) -> None:
    headers = await tokens(pod, http)
    url = "/pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove"
    async with http.post(url, json=body, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["code"] == 400
    assert len(pod.violations) == 1
    assert pod.violations[0].startswith(kind)
    assert BOB in pod.room(ROOM).members


async def test_missing_session_token_is_401_and_a_violation(
    pod: SymphonyPod, http: aiohttp.ClientSession
) -> None:
    async with http.get("/pod/v3/room/hJ4x-Kq_ZW9vbQ/info") as response:
        assert response.status == 401
    headers = await tokens(pod, http)
    del headers["keyManagerToken"]
    async with http.post("/agent/v5/datafeeds", headers=headers) as response:
        assert response.status == 401
    assert [v.split(":")[0] for v in pod.violations] == [
        "[auth] GET /pod/v3/room/hJ4x-Kq_ZW9vbQ/info",
        "[auth] POST /agent/v5/datafeeds",
    ]


@pytest.mark.parametrize(
    "path",
    ["/pod/v3/room/hJ4x%2BKq%2FZW9vbQ%3D%3D/info", "/pod/v3/room/hJ4x+Kq_ZW9vbQ/info"],
    ids=["standard-base64", "plus"],
)
async def test_stream_id_must_be_url_safe(
    pod: SymphonyPod, http: aiohttp.ClientSession, path: str
) -> None:
    headers = await tokens(pod, http)
    async with http.get(URL(path, encoded=True), headers=headers) as response:
        assert response.status == 400
    assert pod.violations[0].startswith("[stream-id]")
    assert pod.room(ROOM).stream_id_standard == standard_id("hJ4x-Kq_ZW9vbQ") == ROOM


@pytest.mark.parametrize(
    "messageml",
    [
        "<messageML>unclosed <b>bold</messageML>",
        "<messageML>reason: ${secret}</messageML>",
        "hello & goodbye",  # the BDK wraps it in <messageML>; the & is not escaped
    ],
    ids=["malformed", "freemarker", "unescaped-ampersand"],
)
async def test_bad_messageml_is_refused_and_a_violation(
    pod: SymphonyPod, bdk: SymphonyBdk, messageml: str
) -> None:
    with pytest.raises(BadRequestException):
        await bdk.messages().send_message("hJ4x-Kq_ZW9vbQ", messageml)
    assert pod.messages(ROOM) == []
    assert [v.split(" ")[0] for v in pod.violations] == ["[messageml]"]


@pytest.mark.parametrize(
    ("fields", "kind"),
    [({"message": "<div>no</div>"}, "[messageml]"), ({"data": "{}"}, "[spec-gap]")],
    ids=["wrong-root", "no-message-field"],
)
async def test_message_create_checks_what_the_spec_cannot(
    pod: SymphonyPod, http: aiohttp.ClientSession, fields: dict[str, str], kind: str
) -> None:
    headers = await tokens(pod, http)
    form = aiohttp.FormData(fields, default_to_multipart=True)
    url = "/agent/v4/stream/hJ4x-Kq_ZW9vbQ/message/create"
    async with http.post(url, data=form, headers=headers) as response:
        assert response.status == 400
    assert [v.split(" ")[0] for v in pod.violations] == [kind]


async def test_read_holds_and_wakes_on_an_event(
    pod: SymphonyPod, http: aiohttp.ClientSession
) -> None:
    pod.hold_seconds = 5.0
    headers, read = await new_datafeed(pod, http)
    started = time.monotonic()
    pending = asyncio.create_task(http.post(read, json={"ackId": ""}, headers=headers))
    await pod.wait_for_calls("POST", read)
    pod.say(JANE, ROOM, "wake up")
    async with await pending as response:
        batch = await response.json()
    assert time.monotonic() - started < 2.0
    assert [e["type"] for e in batch["events"]] == ["MESSAGESENT"]
    pod.hold_seconds = 0.0
    # Not acknowledged (the next read presents no ackId): redelivered after a requeue.
    assert pod.requeue_unacked() == 1
    async with http.post(read, json={"ackId": ""}, headers=headers) as response:
        again = await response.json()
    assert again["events"] == batch["events"]
    assert again["ackId"] != batch["ackId"]
    async with http.post(read, json={"ackId": again["ackId"]}, headers=headers) as response:
        assert response.status == 200
    assert pod.requeue_unacked() == 0  # acknowledged
    async with http.post(read, json={"ackId": "bogus"}, headers=headers) as response:
        assert response.status == 400
    pod.assert_no_violations()


async def test_unacknowledged_batch_is_redelivered_after_the_delay(
    pod: SymphonyPod, http: aiohttp.ClientSession
) -> None:
    pod.redelivery_seconds = 0.05
    headers, read = await new_datafeed(pod, http)
    message_id = pod.say(JANE, ROOM, "one")
    for _ in range(2):  # delivered, not acknowledged, delivered again
        async with http.post(read, json={"ackId": ""}, headers=headers) as response:
            events = (await response.json())["events"]
        assert [e["messageId"] for e in events] == [message_id]


# -- the validators themselves ----------------------------------------------------------------


def test_validator_rejects_and_accepts() -> None:
    spec_check.self_test()
    headers = [("sessionToken", "t")]
    good = SpecRequest("GET", "/pod/v3/users", None, "", query=[("uid", "1")], headers=headers)
    assert spec_check.check_request(good) is None
    bad = SpecRequest(
        "GET", "/pod/v3/users", None, "", query=[("active", "maybe")], headers=headers
    )
    assert "active" in str(spec_check.check_request(bad))
    users = SpecResponse(200, b'{"users": [{"id": "1"}]}', "application/json")
    assert "is not of type 'integer'" in str(spec_check.check_response(good, users))
    assert spec_check.check_request(SpecRequest("GET", "/elsewhere", None, "")) is not None


def test_a_crashing_validator_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def validate_request(self, request: object) -> None:
            raise RuntimeError("Unmarshaller class not found")

    monkeypatch.setattr(spec_check, "load_spec", lambda name: Broken())
    request = SpecRequest("GET", "/pod/v2/sessioninfo", None, "", headers=[("sessionToken", "t")])
    assert "Unmarshaller class not found" in str(spec_check.check_request(request))


async def test_the_doubles_own_responses_are_checked(
    pod: SymphonyPod, bdk: SymphonyBdk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def drifted(self: SimUser, roles: list[str] | None = None) -> dict[str, Any]:
        return {"id": str(self.user_id), "displayName": self.display_name}

    monkeypatch.setattr(SimUser, "user_v2", drifted)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the BDK's own model refuses it as well
        await bdk.users().list_users_by_ids([BOB])
    assert any(v.startswith("[response] GET /pod/v3/users") for v in pod.violations)
