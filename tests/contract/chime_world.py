"""The Amazon Chime world of the contract table (see ``worlds.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.testing.chime.state import Membership
from tests import kit
from tests.chime import conftest as chime
from tests.contract import worlds as w
from tests.kit import SPINE_POLICY

CHIME_CALLS = {
    "remove": "DeleteRoomMembership",
    "add": "CreateRoomMembership",
    "demote": "UpdateRoomMembership",
    "promote": "UpdateRoomMembership",
}


ROOMS = (chime.DESK, chime.SOLO)
NOOK = "a00c0000-0000-4000-8000-0000000a00c0"
"""Chime's room for /offboard whose only administrator is bob."""


@contextlib.asynccontextmanager
async def chime_world(start: w.Start) -> AsyncIterator[w.World]:
    async with kit.aws_double(chime.make_double(), start.monkeypatch, start.tmp_path) as double:
        extra = {p: f"{i:x}e77a000-0000-4000-8000-{i:012x}" for i, p in enumerate(w.EXTRA, 7)}
        ids, name = w.people_of(chime, double.bot.user_id, extra)
        desk_room = double.room(chime.DESK)
        for p, display in w.EXTRA.items():
            double.add_user(ids[p], display, f"{p}@example.com")
            desk_room.memberships[ids[p]] = Membership(ids[p], "Member", desk_room.created_by)
        email = {uid: u.email for uid, u in double.users.items()} | {
            ids["kickbot"]: double.bot.email
        }
        app = await chime.start_bot(start.settings("chime", double.config(), SPINE_POLICY), double)
        desk = chime.Room(double, chime.DESK)
        said, solo = (w.room_of(chime.Room(double, r), ids, name, members="roles") for r in ROOMS)

        async def later() -> str:
            return await w.text_of(double.next_message(chime.DESK, timeout=20.0))

        async def post(person: str, text: str) -> w.Reply:
            await desk.send(ids[person], text)
            return later

        def changes() -> list[str]:
            made = []
            for c in double.requests:
                if c.method in ("DELETE", "POST") and c.operation:  # every one that may change
                    if c.operation == "DeleteRoomMembership":
                        made.append(f"remove {name(c.path.rsplit('/', 1)[1])}")
                    elif c.operation == "CreateRoomMembership":
                        made.append(f"add {name(c.body['MemberId'])}")
                    elif c.operation == "UpdateRoomMembership":
                        verb = "demote" if c.body == {"Role": "Member"} else "promote"
                        made.append(f"{verb} {name(c.path.rsplit('/', 1)[1])}")
                    else:
                        made.append(f"{c.operation} {c.path}")
            assert len(made) >= len(double.state_changes())
            return made

        try:
            yield w.World(
                "chime",
                "/",
                {p: f"@{email[ids[p]]}" for p in ids} | {"erin": chime.EMAIL[chime.ERIN]},
                {p: f"@{email[ids[p]]}" for p in ids},
                said.say,
                said.members,
                changes,
                lambda: {name(uid) for uid, role in desk.roles.items() if role == "Administrator"},
                knobs=w.aws_knobs(double, CHIME_CALLS, "GetRoom", "ServiceFailure", "Forbidden"),
                app=app,
                post=post,
                later=later,
                server=double,
                room_name="Trading Desk",
                solo=solo,
                nook=lambda: double.add_room(NOOK, "Nook", administrators=[ids["bob"]]).name,
            )
        finally:
            await app.stop()
