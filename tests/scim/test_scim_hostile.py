"""Tokens and hostile input: refused specifically, in SCIM's error format, changing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from bot.scim.server import ScimServer, Tokens
from bot.scim.settings import ScimSettings
from bot.store import Store
from tests.scim.conftest import (
    ENTRA_TOKEN,
    OKTA_DEACTIVATE,
    OKTA_TOKEN,
    Scim,
    Started,
    assert_error,
    okta_user,
    patch,
    scim_settings,
)

WRONG = "x" * 45


async def count(scim: Scim) -> int:
    listed = await scim.okta.get("/Users")
    total: int = listed.json()["totalResults"]
    return total


@pytest.mark.parametrize(
    "authorization",
    [None, f"Bearer {WRONG}", f"Basic {OKTA_TOKEN}", "Bearer", f"Bearer {OKTA_TOKEN[:-1]}",
     f"Bearer {OKTA_TOKEN}x", f"Bearer {OKTA_TOKEN}\u00e9".encode()],
)  # fmt: skip
async def test_no_valid_token_is_a_401_and_changes_nothing(
    scim: Scim, authorization: str | bytes | None
) -> None:
    uid = (await scim.okta.post("/Users", json=okta_user())).json()["id"]
    headers: dict[bytes, bytes] = {}
    if authorization is not None:
        value = authorization if isinstance(authorization, bytes) else authorization.encode()
        headers[b"Authorization"] = value
    async with httpx.AsyncClient(base_url=scim.base, headers=headers) as stranger:
        for method, path, body in [
            ("GET", "/ServiceProviderConfig", None),
            ("GET", "/Users", None),
            ("GET", f"/Users/{uid}", None),
            ("POST", "/Users", okta_user("dave@example.com")),
            ("PATCH", f"/Users/{uid}", OKTA_DEACTIVATE),
            ("PUT", f"/Users/{uid}", okta_user(active=False)),
            ("DELETE", f"/Users/{uid}", None),
        ]:
            answer = await stranger.request(method, path, json=body)
            assert_error(answer, 401)
            assert answer.headers["WWW-Authenticate"] == 'Bearer realm="SCIM"'
            assert "bob@example.com" not in answer.text
    assert await count(scim) == 1
    assert (await scim.okta.get(f"/Users/{uid}")).json()["active"] is True
    assert scim.started.calls == []


async def test_a_revoked_token_is_refused_after_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/kickbot.db"
    store = await Store.open(url)
    started = Started()
    try:
        server = ScimServer(scim_settings(), store.scim_users, started)
        await server.start()
        base = f"http://127.0.0.1:{server.port}/scim/v2"
        entra = {"Authorization": f"Bearer {ENTRA_TOKEN}"}
        async with httpx.AsyncClient(base_url=base, headers=entra) as client:
            uid = (await client.post("/Users", json=okta_user())).json()["id"]
        await server.stop()
        # entra's token is taken out of the config: the same client is now a stranger.
        revoked = ScimServer(scim_settings(tokens={"okta": OKTA_TOKEN}), store.scim_users, started)
        await revoked.start()
        base = f"http://127.0.0.1:{revoked.port}/scim/v2"
        try:
            async with httpx.AsyncClient(base_url=base, headers=entra) as client:
                assert_error(await client.patch(f"/Users/{uid}", json=OKTA_DEACTIVATE), 401)
                assert_error(await client.delete(f"/Users/{uid}"), 401)
            user = await store.scim_users.get(uid)
            assert user is not None
            assert user.active
            assert started.calls == []
        finally:
            await revoked.stop()
    finally:
        await store.close()


def test_tokens_name_the_client_compared_in_full() -> None:
    tokens = Tokens({"okta": OKTA_TOKEN, "entra": ENTRA_TOKEN})
    assert tokens.client(f"Bearer {OKTA_TOKEN}") == "okta"
    assert tokens.client(f"bearer {ENTRA_TOKEN}") == "entra"
    assert tokens.client(f"Bearer {OKTA_TOKEN[:20]}") is None
    assert tokens.client(f"Bearer {OKTA_TOKEN}\udcff") is None
    assert tokens.client("") is None
    assert tokens.client(None) is None


@pytest.mark.parametrize(
    ("tokens", "problem"),
    [
        ({}, "at least 1 item"),
        ({"okta": "short"}, "at least 32 printable characters"),
        ({"okta": "a b" * 20}, "without spaces"),
        ({"okta": OKTA_TOKEN, "entra": OKTA_TOKEN}, "the same token"),
        ({"ok ta": OKTA_TOKEN}, "client name"),
    ],
)
def test_weak_or_shared_tokens_are_refused_in_the_config(
    tokens: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        ScimSettings.model_validate({"tokens": tokens, "report_rooms": {"slack": "C1"}})


def test_report_rooms_name_known_platforms() -> None:
    with pytest.raises(ValidationError, match="'teams' is not a platform"):
        ScimSettings.model_validate(
            {"tokens": {"okta": OKTA_TOKEN}, "report_rooms": {"teams": "x"}}
        )


async def test_bad_filters_are_invalid_filter(scim: Scim) -> None:
    for bad in [
        'userName eq "x" and',
        "nosuch eq 1",
        'userName zz "x"',
        "(",
        '"' * 1500,
        "(" * 1500,
    ]:
        assert_error(await scim.okta.get("/Users", params={"filter": bad}), 400, "invalidFilter")
    # Bytes that are not UTF-8 (a lone surrogate's encoding) in the filter.
    raw = await scim.okta.get("/Users?filter=userName%20eq%20%22%ED%A0%80%22")
    assert raw.status_code == 200, raw.text
    assert raw.json()["totalResults"] == 0
    assert raw.headers["Content-Type"] == "application/scim+json"
    # A request line over 8 KiB is refused by the HTTP parser, before any handler (not SCIM).
    too_long = await scim.okta.get("/Users", params={"filter": '"' * 9000})
    assert too_long.status_code == 400


async def test_bad_bodies_are_refused_specifically(scim: Scim) -> None:
    json_type = {"Content-Type": "application/scim+json"}
    cases: list[tuple[bytes, int, str | None]] = [
        (b'{"schemas": [', 400, "invalidSyntax"),
        (b"[" * 100_000, 413, None),  # over the body limit first
        (b"[" * 5_000, 400, "invalidSyntax"),  # nested deeper than the parser goes
        (b'"\xff\xfe"', 400, "invalidSyntax"),  # not UTF-8
        (b"[]", 400, "invalidSyntax"),
    ]
    for body, status, scim_type in cases:
        assert_error(await scim.okta.post("/Users", content=body, headers=json_type), status,
                     scim_type)  # fmt: skip
    assert_error(
        await scim.okta.post("/Users", content=b"<user/>", headers={"Content-Type": "text/xml"}),
        415,
    )
    # A huge body announced by its length is refused before it is read.
    async with httpx.AsyncClient(base_url=scim.base, headers=scim.okta.headers) as client:
        big = okta_user(displayName="x" * 70_000)
        assert_error(await client.post("/Users", json=big), 413)
    assert await count(scim) == 0


async def test_bad_values_and_conflicts(scim: Scim) -> None:
    uid = (await scim.okta.post("/Users", json=okta_user())).json()["id"]
    assert_error(await scim.okta.post("/Users", json=okta_user()), 409, "uniqueness")
    assert_error(await scim.okta.post("/Users", json=okta_user("BOB@EXAMPLE.COM")), 409,
                 "uniqueness")  # fmt: skip
    maybe = patch({"op": "replace", "path": "active", "value": "maybe"})
    assert_error(await scim.okta.patch(f"/Users/{uid}", json=maybe), 400, "invalidValue")
    malformed = patch({"op": "replace", "path": 'emails[type eq "work"', "value": 1})
    assert_error(await scim.okta.patch(f"/Users/{uid}", json=malformed), 400, "invalidPath")
    unknown = patch({"op": "replace", "path": "nosuch", "value": 1})  # dropped, as on create
    ignored = await scim.okta.patch(f"/Users/{uid}", json=unknown)
    assert ignored.status_code == 200
    assert "nosuch" not in ignored.text
    no_target = patch({"op": "remove"})
    assert_error(await scim.okta.patch(f"/Users/{uid}", json=no_target), 400, "noTarget")
    missing = patch({"op": "replace", "path": 'emails[type eq "home"].value', "value": "a@b.c"})
    assert (await scim.okta.patch(f"/Users/{uid}", json=missing)).status_code == 200
    twice = await scim.okta.get("/Users", params=[("filter", "x"), ("filter", "y")])
    assert_error(twice, 400, "invalidValue")
    assert_error(await scim.okta.get("/Users/no-such-id"), 404)
    assert_error(await scim.okta.patch("/Users/no-such-id", json=OKTA_DEACTIVATE), 404)
    assert_error(await scim.okta.get("/Groups"), 404)
    assert_error(await scim.okta.post("/Bulk", json={}), 501)
    async with httpx.AsyncClient(base_url=scim.base.removesuffix("/scim/v2")) as root:
        assert_error(await root.get("/"), 404)
        assert_error(await root.get("/admin"), 404)
    user = await scim.store.scim_users.get(uid)
    assert user is not None
    assert user.active
    assert scim.started.calls == []


async def test_concurrent_creates_of_one_name_link_it_once(scim: Scim) -> None:
    answers = await asyncio.gather(*(scim.okta.post("/Users", json=okta_user()) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert await count(scim) == 1


def test_report_rooms_must_be_on_enabled_platforms() -> None:
    from bot.settings import check
    from handlers import COMMANDS

    parsed = check(
        {"scim": {"tokens": {"okta": OKTA_TOKEN}, "report_rooms": {"slack": "C1"}}},
        [c.name for c in COMMANDS],
    )
    assert parsed.problems == ["scim.report_rooms.slack: slack is not enabled in this file"]
