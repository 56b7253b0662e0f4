"""The session's /connect is presigned with botocore's SigV4 query signer, and the double's
session endpoint refuses every URL whose signature, scope, expiry or user is wrong: so the
bot's accepted connections prove it signs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from botocore.credentials import Credentials
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bot.platforms.chime_sdk.session_wire import BadEndpoint, connect_url, parse_frame
from bot.testing.chime_sdk.session_server import SessionServer, verify_presigned

KEY, SECRET, REGION = "AKIASESSIONDOUBLE001", "session/secret+key", "us-east-1"
BOT = "arn:aws:chime:us-east-1:111122223333:app-instance/i-1/user/kickbot"


class _Keys:
    def __init__(self, key: str, secret: str) -> None:
        self._frozen = Credentials(key, secret)

    def get_frozen_credentials(self) -> Credentials:
        return self._frozen


@pytest.fixture
async def server() -> AsyncIterator[SessionServer]:
    async with SessionServer(
        secrets={KEY: SECRET},
        region=REGION,
        is_user=lambda arn: arn == BOT,
        members_of=lambda channel: [BOT],
    ) as served:
        yield served


def signed(endpoint: str, *, key: str = KEY, secret: str = SECRET, **kw: str) -> str:
    return connect_url(
        endpoint,
        secure=False,
        credentials=_Keys(key, secret),
        region=kw.get("region", REGION),
        user_arn=kw.get("user_arn", BOT),
        session_id="s-1",
    )


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


async def test_a_presigned_url_is_accepted_and_the_session_established(
    server: SessionServer,
) -> None:
    url = signed(server.endpoint + "/")  # the endpoint as the JS SDK's tests give it
    query = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith(f"ws://{server.endpoint}/connect?")
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].endswith(f"/{REGION}/chime/aws4_request")
    assert query["X-Amz-Expires"] == "10"
    assert query["X-Amz-SignedHeaders"] == "host"
    assert query["userArn"] == BOT
    assert query["sessionId"] == "s-1"
    async with connect(url, proxy=None) as ws:
        frame = parse_frame(await ws.recv())
    assert frame is not None
    assert frame.event_type == "SESSION_ESTABLISHED"
    assert frame.payload is None
    assert [a.accepted for a in server.requests] == [True]


@pytest.mark.parametrize(
    ("wrong", "refusal"),
    [
        ("signature", "SignatureDoesNotMatch"),
        ("secret", "SignatureDoesNotMatch"),
        ("user in query", "SignatureDoesNotMatch"),
        ("unknown user", "not an AppInstanceUser"),
        ("key", "unknown access key"),
        ("region", "credential scope"),
        ("unsigned", "X-Amz-Algorithm"),
    ],
)
async def test_a_wrong_signature_is_refused_before_the_upgrade(
    server: SessionServer, wrong: str, refusal: str
) -> None:
    url = signed(server.endpoint)
    if wrong == "signature":
        signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
        url = with_query(url, **{"X-Amz-Signature": signature[::-1]})
    elif wrong == "secret":
        url = signed(server.endpoint, secret="not-the-secret")
    elif wrong == "user in query":  # signed for the bot, then another user named
        url = with_query(url, userArn=BOT.replace("kickbot", "mallory"))
    elif wrong == "unknown user":
        url = signed(server.endpoint, user_arn=BOT.replace("kickbot", "mallory"))
    elif wrong == "key":
        url = signed(server.endpoint, key="AKIANOTKNOWN0000000")
    elif wrong == "region":
        url = signed(server.endpoint, region="eu-west-1")
    else:
        url = f"ws://{server.endpoint}/connect?sessionId=s-1&userArn={BOT}"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, proxy=None):
            pass
    assert refused.value.response.status_code == 403
    body = json.loads(refused.value.response.body or b"{}")
    assert refusal in body["Message"]
    assert [a.accepted for a in server.requests] == [False]
    assert refusal in (server.requests[0].refusal or "")
    assert server.sessions == []


def test_a_presigned_url_is_good_for_x_amz_expires_seconds() -> None:
    url = signed("127.0.0.1:9")
    query = list(parse_qsl(urlsplit(url).query))
    expires = int(dict(query)["X-Amz-Expires"])

    def checked(later: float) -> str | None:
        return verify_presigned(
            method="GET",
            path="/connect",
            query=query,
            headers={"Host": "127.0.0.1:9"},
            secrets={KEY: SECRET},
            region=REGION,
            now=datetime.now(UTC) + timedelta(seconds=later),
        )

    assert checked(0) is None
    assert "expired" in (checked(expires + 2) or "")
    assert "SignatureDoesNotMatch" in (
        verify_presigned(
            method="GET",
            path="/connect",
            query=query,
            headers={"Host": "127.0.0.1:10"},  # signed for another host
            secrets={KEY: SECRET},
            region=REGION,
        )
        or ""
    )


def test_an_endpoint_that_is_not_a_host_is_refused() -> None:
    for endpoint in ("", "wss://x.example/connect", "host/path", "host:port", "h?q=1"):
        with pytest.raises(BadEndpoint):
            signed(endpoint)
