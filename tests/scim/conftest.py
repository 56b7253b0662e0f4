"""The SCIM server on 127.0.0.1 over a real store, reached with httpx as an identity provider
would. ``Started`` stands in for the all-platform seam where only the server is under test
(what it asks for, and when); ``test_scim_app.py`` and ``test_scim_process.py`` run the real
seam (``bot.everywhere``) on the platform doubles and Synapse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.scim.server import ScimServer
from bot.scim.settings import ScimSettings
from bot.store import Store

OKTA_TOKEN = "okta-" + "o" * 40
ENTRA_TOKEN = "entra-" + "e" * 40
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Started:
    """Offboardings the server asked for: (email, requested_by, key); the same key gives the
    same case, as the real seam's does. ``fail`` makes the next starts raise."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)
    fail: int = 0

    async def start(self, email: str, requested_by: str, key: str) -> int:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("the offboarding could not be recorded")
        self.calls.append((email, requested_by, key))
        return self.cases.setdefault(key, 100 + len(self.cases))


def okta_user(name: str = "bob@example.com", **more: Any) -> dict[str, Any]:
    """What Okta's SCIM 2.0 app sends to create a user (its documented request)."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": name,
        "name": {"givenName": "Bob", "familyName": "Member"},
        "emails": [{"primary": True, "value": name, "type": "work"}],
        "displayName": "Bob Member",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mJ0lW#Q",
        "active": True,
        **more,
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


OKTA_DEACTIVATE = patch({"op": "replace", "value": {"active": False}})
ENTRA_DEACTIVATE = patch({"op": "Replace", "path": "active", "value": "False"})
ENTRA_REACTIVATE = patch({"op": "Replace", "path": "active", "value": "True"})


@dataclass
class Scim:
    server: ScimServer
    store: Store
    started: Started
    okta: httpx.AsyncClient
    entra: httpx.AsyncClient
    base: str

    def client(self, token: str | None) -> httpx.AsyncClient:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(base_url=self.base, headers=headers)


def scim_settings(**more: Any) -> ScimSettings:
    return ScimSettings.model_validate(
        {
            "listen_port": 0,
            "tokens": {"okta": OKTA_TOKEN, "entra": ENTRA_TOKEN},
            "report_rooms": {"symphony": "desk"},
            **more,
        }
    )


@pytest.fixture
async def scim(tmp_path: Path) -> AsyncIterator[Scim]:
    store = await Store.open(f"sqlite:///{tmp_path}/kickbot.db")
    started = Started()
    server = ScimServer(scim_settings(), store.scim_users, started)
    await server.start()
    base = f"http://127.0.0.1:{server.port}/scim/v2"
    okta = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {OKTA_TOKEN}"})
    entra = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {ENTRA_TOKEN}"})
    try:
        yield Scim(server, store, started, okta, entra, base)
    finally:
        await okta.aclose()
        await entra.aclose()
        await server.stop()
        await store.close()


def assert_error(response: httpx.Response, status: int, scim_type: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert "Traceback" not in response.text


# The bot serving the Symphony pod and the Slack workspace doubles (tests/everywhere's).
from tests.everywhere.conftest import settings_for, slack  # noqa: E402, F401
from tests.matrix.conftest import synapse, world  # noqa: E402, F401
