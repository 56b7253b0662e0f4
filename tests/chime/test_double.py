"""The Chime double itself: it is the official model, it refuses what the model refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import botocore.session
import httpx
import pytest

from bot.platforms.chime.client import SigV4
from bot.testing.aws.sigv4 import tamper
from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, DESK, path

ROOT = Path(__file__).parent.parent.parent
SHARED = ROOT.parent / "shared" / "specs" / "chime" / "service-2.json"


@pytest.mark.skipif(not SHARED.is_file(), reason="../shared/specs is not beside the project")
def test_vendored_model_is_the_official_one() -> None:
    ours = ROOT / "bot/testing/specs/chime-service-2.json"
    assert ours.read_bytes() == SHARED.read_bytes()


@pytest.fixture
async def signed(chime: ChimeDouble) -> AsyncIterator[httpx.AsyncClient]:
    session = botocore.session.get_session()
    auth = SigV4(session.get_credentials(), chime.region)
    async with httpx.AsyncClient(base_url=chime.url, auth=auth) as client:
        yield client


def refused(chime: ChimeDouble, kind: str) -> list[str]:
    """The violations of ``kind`` the double recorded, then forgotten (they were provoked)."""
    found = [v for v in chime.violations if v.startswith(f"[{kind}]")]
    chime.violations.clear()
    return found


async def test_botocores_own_chime_client_is_accepted(chime: ChimeDouble) -> None:
    client = botocore.session.get_session().create_client(
        "chime", endpoint_url=chime.url, region_name=chime.region
    )

    def use() -> dict[str, Any]:
        listed = client.list_room_memberships(AccountId=chime.account_id, RoomId=DESK, MaxResults=2)
        client.update_room_membership(
            AccountId=chime.account_id, RoomId=DESK, MemberId=ALICE, Role="Member"
        )
        client.delete_room_membership(AccountId=chime.account_id, RoomId=DESK, MemberId=BOB)
        client.create_room_membership(AccountId=chime.account_id, RoomId=DESK, MemberId=BOB)
        users = client.list_users(AccountId=chime.account_id, UserEmail="bob@example.com")
        return {"listed": listed, "users": users}

    got = await asyncio.to_thread(use)
    assert len(got["listed"]["RoomMemberships"]) == 2
    assert got["listed"]["NextToken"] == "page-2"
    assert got["users"]["Users"][0]["UserId"] == BOB
    assert chime.room(DESK).roles[ALICE] == "Member"
    assert chime.room(DESK).roles[BOB] == "Member"
    assert chime.violations == []


async def test_a_tampered_signature_is_a_403(chime: ChimeDouble, signed: httpx.AsyncClient) -> None:
    request = signed.build_request("DELETE", path(DESK, BOB))
    flow = signed.auth.sync_auth_flow(request)  # type: ignore[union-attr]
    signed_request = next(flow)
    signed_request.headers["Authorization"] = tamper(signed_request.headers["Authorization"])
    async with httpx.AsyncClient() as raw:
        response = await raw.send(signed_request)
    assert response.status_code == 403
    assert response.json()["Code"] == "Forbidden"
    assert "SignatureDoesNotMatch" in refused(chime, "sigv4")[0]
    assert BOB in chime.room(DESK).roles


async def test_a_request_signed_for_another_path_is_a_403(
    chime: ChimeDouble, signed: httpx.AsyncClient
) -> None:
    request = signed.build_request("GET", f"/accounts/{chime.account_id}/rooms/{DESK}")
    signed_request = next(signed.auth.sync_auth_flow(request))  # type: ignore[union-attr]
    other = httpx.Request(
        "DELETE", chime.url + path(DESK, BOB), headers=dict(signed_request.headers)
    )
    async with httpx.AsyncClient() as raw:
        response = await raw.send(other)
    assert response.status_code == 403
    assert refused(chime, "sigv4")
    assert BOB in chime.room(DESK).roles


async def test_unsigned_and_wrong_scope_are_refused(chime: ChimeDouble) -> None:
    async with httpx.AsyncClient(base_url=chime.url) as raw:
        assert (await raw.get(f"/accounts/{chime.account_id}/rooms/{DESK}")).status_code == 403
    creds = botocore.session.get_session().get_credentials()
    async with httpx.AsyncClient(base_url=chime.url, auth=SigV4(creds, "eu-west-1")) as client:
        assert (await client.get(f"/accounts/{chime.account_id}/rooms/{DESK}")).status_code == 403
    problems = refused(chime, "sigv4")
    assert "no Authorization header" in problems[0]
    assert "eu-west-1/chime, not us-east-1/chime" in problems[1]


@pytest.mark.parametrize(
    ("method", "url", "body", "problem"),
    [
        ("POST", path(DESK, BOB), {"Role": "Boss"}, "'Boss' is not one of Administrator, Member"),
        ("POST", path(DESK), {"Role": "Member"}, "Missing required parameter"),
        ("POST", path(DESK), {"MemberId": BOB, "Admin": True}, "unknown member 'Admin'"),
        ("GET", path(DESK) + "?max-results=100", None, "100 is over 99"),
        ("GET", path(DESK) + "?max-results=0", None, "MaxResults"),
        ("GET", path(DESK) + "?max-results=ten", None, "'ten' is not an integer"),
        ("GET", path(DESK) + "?maxResults=5", None, "unknown query parameter 'maxResults'"),
        ("DELETE", path(DESK, "%20"), None, "does not match .*\\S.*"),
    ],
    ids=["enum", "required", "unknown", "max", "min", "type", "query", "pattern"],
)
async def test_requests_the_model_refuses_are_400(
    chime: ChimeDouble,
    signed: httpx.AsyncClient,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    problem: str,
) -> None:
    response = await signed.request(method, url, content=json.dumps(body) if body else None)
    assert response.status_code == 400
    assert response.json()["Code"] == "BadRequest"
    (violation,) = refused(chime, "model")
    assert problem in violation
    assert chime.room(DESK).roles[BOB] == "Member"  # nothing changed


async def test_unknown_routes_and_unemulated_operations(
    chime: ChimeDouble, signed: httpx.AsyncClient
) -> None:
    assert (await signed.get(f"/accounts/{chime.account_id}/chatrooms")).status_code == 404
    assert "no operation of the chime model" in refused(chime, "model")[0]
    bot = f"/accounts/{chime.account_id}/bots/{chime.bot.user_id}"
    assert (await signed.get(bot)).status_code == 501  # GetBot exists in the model
    assert "GetBot is not emulated" in refused(chime, "unimplemented")[0]


async def test_the_doubles_own_answers_are_checked(
    chime: ChimeDouble, signed: httpx.AsyncClient
) -> None:
    chime.add_user("u-bad", "Bad Address", "not-an-address")
    response = await signed.get(f"/accounts/{chime.account_id}/users")
    assert response.status_code == 200
    (violation,) = refused(chime, "response")
    assert "'not-an-address' does not match .+@.+\\..+" in violation


def test_knobs_only_send_errors_the_operation_declares(chime: ChimeDouble) -> None:
    with pytest.raises(ValueError, match="does not declare ConflictException"):
        chime.fail_next("DeleteRoomMembership", "Conflict")
    with pytest.raises(ValueError, match="not an operation"):
        chime.fail_next("KickMember", "NotFound")
    chime.fail_next("DeleteRoomMembership", "Conflict", undeclared=True)


async def test_webhook_limits(chime: ChimeDouble) -> None:
    url = chime.webhook_url(DESK)
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, json={"Content": "one"})).status_code == 200
        assert (await client.post(url, json={"Content": "two"})).status_code == 429
        assert (await client.post(url + "x", json={"Content": "x"})).status_code == 403
        assert (await client.post(url.replace("/incomingwebhooks/", "/incomingwebhooks/0"),
                                  json={"Content": "x"})).status_code == 404  # fmt: skip
        big = await client.post(chime.webhook_url(DESK), json={"Content": "y" * 4100})
        assert big.status_code == 413
    assert [m.content for m in chime.messages(DESK)] == ["one"]
    assert "4 KB" in refused(chime, "webhook")[0]
