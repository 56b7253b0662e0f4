"""The Rocket.Chat world of the contract table (see ``worlds.py``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests import kit
from tests.contract import worlds as w
from tests.rocketchat import conftest as rocketchat

RC_CALLS = {
    "remove": "groups.kick",
    "add": "groups.invite",
    "demote": "groups.removeOwner",
    "promote": "groups.addOwner",
}


@contextlib.asynccontextmanager
async def rocketchat_world(start: w.Start) -> AsyncIterator[w.World]:
    extra = {p: f"u-{p}" for p in [*w.EXTRA, "mona", "gus"]} | {"grace": rocketchat.GRACE}
    ids, name = w.people_of(rocketchat, extra=extra)
    async with kit.checked(rocketchat.make_server()) as server:
        desk_room = server.room(rocketchat.DESK)
        for p, display in w.EXTRA.items():
            server.add_user(ids[p], p, name=display, email=f"{p}@example.com")
            desk_room.add(ids[p])
        server.add_user(ids["mona"], "mona", name="Mona Moderator", email="mona@example.com")
        server.add_user(ids["gus"], "gus", name="Gus Admin", roles=("user", "admin"))
        desk_room.add(ids["mona"], "moderator")
        desk_room.add(ids["grace"])
        desk_room.add(ids["gus"])
        settings = start.settings("rocketchat", server.bot_config(), rocketchat.POLICY)
        app = await rocketchat.start_bot(settings, server)
        desk = rocketchat.Room(server, rocketchat.DESK)

        def read(message: Any) -> str:
            return rocketchat.visible(message.msg).replace("`", "")  # code spans: markup

        said, solo = (
            w.room_of(rocketchat.Room(server, r), ids, name, read)
            for r in (rocketchat.DESK, rocketchat.SOLO)
        )

        async def later() -> str:
            return read(await server.next_message(rocketchat.DESK, timeout=20.0))

        async def post(person: str, text: str) -> w.Reply:
            assert (await desk.post(ids[person], text)).status == 200
            return later

        def changes() -> list[str]:
            verb = {call: change for change, call in RC_CALLS.items()}
            return [  # every state-changing call, as server.changing_calls()
                f"{verb.get(endpoint, endpoint)} {name(user)}"
                for endpoint, user in (c.split(" ", 1) for c in server.changing_calls())
            ]

        def dm_of(person: str) -> str:
            return "".join(sorted((rocketchat.BOT, ids[person])))

        async def notice(person: str) -> str:
            return rocketchat.visible((await server.next_message(dm_of(person))).msg)

        def refuse() -> None:
            server.world.permissions["create-d"] = frozenset()

        by_username = {str(ids[p]).removeprefix("u-"): p for p in w.PEOPLE}

        def fail_room() -> str:
            server.fail_next("groups.roles", status=403, message="Not allowed")
            return "Not allowed"

        held: set[asyncio.Task[None]] = set()

        def fail_rank(person: str) -> str:
            """The first target's rank: users are read at delivery (usernames, the caller),
            then the room (rooms.info first), then each target without a room role with
            users.info; holding rooms.info lets a users.info failure meet only the targets'."""
            release, seen = server.hold_next("rooms.info"), len(server.calls("rooms.info"))

            async def plan() -> None:
                await server.wait_for_calls("rooms.info", seen + 1)
                server.fail_next("users.info", status=403, message=f"Not {person}")
                release.set()

            held.add(asyncio.create_task(plan()))
            return f"Not {person}"

        try:
            yield w.World(
                "rocketchat",
                "!",
                {p: f"@{p}" for p in ids},
                {p: f"@{p}" for p in ids},
                said.say,
                said.members,
                changes,
                lambda: {name(uid) for uid in desk.owners},
                notices=w.Notices(
                    notice,
                    lambda: [by_username[c.body["username"]] for c in server.calls("dm.create")],
                    refuse,
                ),
                mention=lambda person, text: said.say(person, "@kickbot " + text[1:]),
                knobs=w.knobs_of(
                    server,
                    RC_CALLS,
                    "rooms.info",
                    {},
                    {"status": 500},
                    fail_room=fail_room,
                    fail_rank=fail_rank,
                ),
                app=app,
                post=post,
                later=later,
                server=server,
                solo=solo,
                nook=lambda: (
                    server.add_room(
                        "R-nook", "nook", "p", owners=[ids["bob"]], members=[ids["kickbot"]]
                    ).name
                ),
            )
        finally:
            for task in held:
                task.cancel()
            await app.stop()
