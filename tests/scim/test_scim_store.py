"""The store's SCIM users on SQLite and PostgreSQL: one live user per name, an offboarding
asked for in the same commit as the change, never twice for one departure."""

from __future__ import annotations

import asyncio

import pytest

from bot.store import Store
from bot.store.scim_users import NoSuchUser, UserFields, UserNameTaken, VersionMismatch


def fields(name: str = "Bob@Example.com", *, active: bool = True) -> UserFields:
    return UserFields(
        user_name=name,
        user_name_key=name.lower(),
        external_id="00u1",
        email=name.lower(),
        active=active,
        resource={"userName": name, "displayName": "Bob \ud800"},  # a lone surrogate survives
    )


async def test_users_are_linked_changed_and_offboarded_once(store_url: str) -> None:
    store = await Store.open(store_url)
    users = store.scim_users
    try:
        bob = await users.create(fields(), "okta")
        assert bob.version == 1
        assert bob.resource["displayName"] == "Bob \ud800"
        with pytest.raises(UserNameTaken):
            await users.create(fields("bob@example.com"), "entra")
        assert [u.id for u in await users.find(user_name_key="bob@example.com")] == [bob.id]
        assert [u.id for u in await users.find(external_id="00u1")] == [bob.id]

        with pytest.raises(VersionMismatch):
            await users.update(bob.id, fields(active=False), "okta", expected_version=7)
        off = await users.update(bob.id, fields(active=False), "okta", expected_version=1)
        assert off.offboard is not None
        assert off.offboard.email == "bob@example.com"
        assert off.offboard.requested_by == "okta"
        assert await users.pending_offboards() == [off.offboard]
        again = await users.update(bob.id, fields(active=False), "okta")
        assert again.offboard is None
        await users.offboard_started(off.offboard, 12)
        assert await users.pending_offboards() == []
        assert not await users.still_pending(off.offboard)

        gone = await users.delete(bob.id, "okta")
        assert gone.offboard is None  # inactive and offboarded already
        assert await users.get(bob.id) is None
        with pytest.raises(NoSuchUser):
            await users.delete(bob.id, "okta")
        relinked = await users.create(fields(), "okta")
        deleted = await users.delete(relinked.id, "okta")
        assert deleted.offboard is not None
        assert deleted.offboard.key != off.offboard.key
    finally:
        await store.close()


async def test_writes_of_one_name_at_once_link_it_once(store_url: str) -> None:
    store = await Store.open(store_url)
    try:
        tries = await asyncio.gather(
            *(store.scim_users.create(fields(), f"c{n}") for n in range(6)),
            return_exceptions=True,
        )
        assert sum(not isinstance(t, BaseException) for t in tries) == 1
        assert all(isinstance(t, UserNameTaken) for t in tries if isinstance(t, BaseException))
    finally:
        await store.close()


async def test_a_list_reads_one_page(store_url: str) -> None:
    store = await Store.open(store_url)
    users = store.scim_users
    try:
        made = [await users.create(fields(f"u{n}@example.com"), "okta") for n in range(5)]
        await users.delete(made[0].id, "okta")
        total, page = await users.page(1, 2)
        assert total == 4
        assert [u.user_name for u in page] == ["u2@example.com", "u3@example.com"]
        total, rest = await users.page(2, None)
        assert [u.user_name for u in rest] == ["u3@example.com", "u4@example.com"]
        assert (await users.page(9, 5)) == (4, [])
    finally:
        await store.close()
