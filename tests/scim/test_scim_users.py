"""Users as Okta and Entra ID use them when provisioning and deprovisioning, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.scim.conftest import (
    ENTRA_DEACTIVATE,
    ENTRA_REACTIVATE,
    OKTA_DEACTIVATE,
    USER_SCHEMA,
    Scim,
    assert_error,
    okta_user,
    patch,
)

ENTRA_USER = {
    "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Carol.Owner@example.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "carol@example.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Carol Owner", "familyName": "Owner", "givenName": "Carol"},
    "roles": [],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "701984",
        "department": "Desk",
    },
}


async def patch_active(
    client: httpx.AsyncClient, uid: str, body: dict[str, Any], *, active: bool
) -> None:
    """The PATCH ``body`` to user ``uid`` is answered 200 with the user ``active`` or not."""
    answer = await client.patch(f"/Users/{uid}", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is active


async def test_okta_creates_finds_and_deactivates_a_user_once(scim: Scim) -> None:
    created = await scim.okta.post("/Users", json=okta_user())
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["userName"] == "bob@example.com"
    assert user["active"] is True
    assert "password" not in user
    assert created.headers["Location"] == f"{scim.base}/Users/{user['id']}"

    # Okta looks a user up by userName before creating or updating it (case-insensitive).
    found = await scim.okta.get(
        "/Users", params={"filter": 'userName eq "BOB@example.com"', "startIndex": 1, "count": 100}
    )
    assert found.status_code == 200
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == user["id"]
    none = await scim.okta.get("/Users", params={"filter": 'userName eq "dave@example.com"'})
    assert none.json()["totalResults"] == 0
    assert none.json().get("Resources", []) == []

    await patch_active(scim.okta, user["id"], OKTA_DEACTIVATE, active=False)
    assert [(e, by) for e, by, _ in scim.started.calls] == [("bob@example.com", "scim:okta")]
    again = await scim.okta.patch(f"/Users/{user['id']}", json=OKTA_DEACTIVATE)
    assert again.status_code == 200
    assert len(scim.started.calls) == 1  # already inactive: nothing new starts
    read = await scim.okta.get(f"/Users/{user['id']}")
    assert read.json()["active"] is False
    stored = await scim.store.scim_users.get(user["id"])
    assert stored is not None
    assert stored.offboard_case == 100
    assert "1mJ0lW" not in str(stored.resource)  # the password is never kept


async def test_entra_string_booleans_deactivate_and_reactivation_re_adds_nothing(
    scim: Scim, caplog: pytest.LogCaptureFixture
) -> None:
    created = await scim.entra.post("/Users", json=ENTRA_USER)
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    # Entra ID's deprovisioning PATCH: "Replace", a path, and the boolean as a string.
    await patch_active(scim.entra, uid, ENTRA_DEACTIVATE, active=False)
    assert [(e, by) for e, by, _ in scim.started.calls] == [("carol@example.com", "scim:entra")]

    await patch_active(scim.entra, uid, ENTRA_REACTIVATE, active=True)
    assert len(scim.started.calls) == 1  # reactivation starts nothing (and re-adds nothing)

    # Leaving again is a new offboarding.
    await scim.entra.patch(f"/Users/{uid}", json=ENTRA_DEACTIVATE)
    assert len(scim.started.calls) == 2
    assert scim.started.calls[0][2] != scim.started.calls[1][2]


async def test_entra_finds_by_external_id_and_patches_attributes(scim: Scim) -> None:
    uid = (await scim.entra.post("/Users", json=ENTRA_USER)).json()["id"]
    found = await scim.entra.get(
        "/Users", params={"filter": f'externalId eq "{ENTRA_USER["externalId"]}"'}
    )
    assert [r["id"] for r in found.json()["Resources"]] == [uid]
    # Entra ID's attribute updates: a path filter that matches no entry adds it.
    changed = await scim.entra.patch(
        f"/Users/{uid}",
        json=patch(
            {"op": "Add", "path": 'emails[type eq "home"].value', "value": "c@home.example"},
            {"op": "Replace", "path": "displayName", "value": "Carol O."},
        ),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["displayName"] == "Carol O."
    assert scim.started.calls == []


async def test_put_with_active_false_offboards(scim: Scim) -> None:
    user = (await scim.okta.post("/Users", json=okta_user())).json()
    replaced = await scim.okta.put(
        f"/Users/{user['id']}", json=okta_user(active=False, id=user["id"])
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["active"] is False
    assert [e for e, _, _ in scim.started.calls] == ["bob@example.com"]


async def test_delete_offboards_unless_already_offboarded(scim: Scim) -> None:
    bob = (await scim.okta.post("/Users", json=okta_user())).json()["id"]
    dave = (await scim.okta.post("/Users", json=okta_user("dave@example.com"))).json()["id"]
    assert (await scim.okta.delete(f"/Users/{bob}")).status_code == 204
    assert [e for e, _, _ in scim.started.calls] == ["bob@example.com"]
    assert_error(await scim.okta.get(f"/Users/{bob}"), 404)
    assert_error(await scim.okta.delete(f"/Users/{bob}"), 404)

    await scim.okta.patch(f"/Users/{dave}", json=OKTA_DEACTIVATE)
    assert (await scim.okta.delete(f"/Users/{dave}")).status_code == 204
    assert [e for e, _, _ in scim.started.calls] == ["bob@example.com", "dave@example.com"]

    # The name is free again once deleted: a new link, a new id.
    again = await scim.okta.post("/Users", json=okta_user())
    assert again.status_code == 201
    assert again.json()["id"] != bob


async def test_list_pages(scim: Scim) -> None:
    for n in range(5):
        await scim.okta.post("/Users", json=okta_user(f"user{n}@example.com"))
    page = await scim.okta.get("/Users", params={"startIndex": 2, "count": 2})
    body = page.json()
    assert body["totalResults"] == 5
    assert body["startIndex"] == 2
    assert body["itemsPerPage"] == 2
    assert [r["userName"] for r in body["Resources"]] == ["user1@example.com", "user2@example.com"]
    filtered = await scim.okta.get("/Users", params={"filter": 'userName sw "user3"'})
    assert [r["userName"] for r in filtered.json()["Resources"]] == ["user3@example.com"]


async def test_a_failed_start_is_tried_again_and_made_once(
    scim: Scim, caplog: pytest.LogCaptureFixture
) -> None:
    uid = (await scim.okta.post("/Users", json=okta_user())).json()["id"]
    scim.started.fail = 1
    off = await scim.okta.patch(f"/Users/{uid}", json=OKTA_DEACTIVATE)
    assert off.status_code == 200  # accepted: the request is in the store
    assert scim.started.calls == []
    pending = await scim.store.scim_users.pending_offboards()
    assert [p.email for p in pending] == ["bob@example.com"]
    await scim.server.offboarding.resume()
    await scim.server.offboarding.resume()
    assert [e for e, _, _ in scim.started.calls] == ["bob@example.com"]
    assert await scim.store.scim_users.pending_offboards() == []


async def test_a_user_without_an_e_mail_is_refused(scim: Scim) -> None:
    body = okta_user("bob", emails=[])
    assert_error(await scim.okta.post("/Users", json=body), 400, "invalidValue")
    listed = await scim.okta.get("/Users")
    assert listed.json()["totalResults"] == 0


async def test_attributes_no_schema_declares_are_dropped_not_refused(scim: Scim) -> None:
    created = await scim.okta.post("/Users", json=okta_user(costCentre="42"))
    assert created.status_code == 201, created.text
    assert "costCentre" not in created.text
    stored = await scim.store.scim_users.get(created.json()["id"])
    assert stored is not None
    assert "costCentre" not in stored.resource


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


async def test_entra_manager_forms_are_dropped_not_refused(scim: Scim) -> None:
    """Entra ID sends the manager as an object without $ref, a bare id, or a Remove with a
    value: refusing any of them would fail the person's provisioning (and, repeated, have the
    application quarantined, deprovisioning included)."""
    body = {**ENTRA_USER, ENTERPRISE: {"department": "Desk", "manager": {"value": "m-1"}}}
    created = await scim.entra.post("/Users", json=body)
    assert created.status_code == 201, created.text
    uid = created.json()["id"]
    assert created.json()[ENTERPRISE] == {"department": "Desk"}
    for op in (
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": "2819c223"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": "2819c223"}},
        {"op": "Remove", "path": f"{ENTERPRISE}:manager", "value": [{"value": "2819c223"}]},
    ):
        answer = await scim.entra.patch(f"/Users/{uid}", json=patch(op))
        assert answer.status_code == 200, answer.text
    off = await scim.entra.patch(f"/Users/{uid}", json=ENTRA_DEACTIVATE)
    assert off.status_code == 200, off.text
    assert [e for e, _, _ in scim.started.calls] == ["carol@example.com"]
