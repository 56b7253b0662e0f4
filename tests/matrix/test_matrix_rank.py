"""Rank on Matrix (a real Synapse): nobody acts on someone who outranks or equals them; a rank
that cannot be established refuses.

Ranks, highest first: compliance and admin (named by user id: a homeserver does not reveal
e-mails), room owner (a power level at or above the room's kick level, 50) and member (here 49,
just below). Owners are graded by the platform's own order: between two owners, only a strictly
higher power level acts. Members and the named ranks are given !kick by name in the policy, so
every pair reaches the rank check (its undo is tested in test_matrix_undo.py).

One world, one kickbot for the module (through a ``FaultyLink`` in front of the recording
proxy, so a test can make one homeserver call fail). Rooms are created by the bot (room version
12: the bot is their creator, so it can kick every level used here); the matrix shares one room,
the tests that make calls fail get their own.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.testing.matrix import Account, SynapseServer
from tests.matrix.conftest import World, make_world

pytestmark = pytest.mark.asyncio(loop_scope="module")

KICK_LEVEL = 50
# kind -> rank name, power level, and which two accounts of the world hold it.
KINDS: dict[str, tuple[str, int, tuple[str, str]]] = {
    "compliance": ("compliance", 0, ("frank", "gail")),
    "admin": ("admin", 0, ("dave", "hal")),
    "owner 75": ("room owner", 75, ("alice", "erin")),
    "owner 50": ("room owner", 50, ("carol", "ivy")),
    "member": ("member", KICK_LEVEL - 1, ("bob", "zed")),  # just below owner
}
PAIRS = [(c, t) for c in KINDS for t in KINDS]


@dataclass
class Plan:
    method: str
    path: re.Pattern[str]
    skip: int


@dataclass
class FaultyLink:
    """An HTTP hop that answers a planned request with a homeserver error and forwards the
    rest unchanged (to the recording proxy, which logs what reaches Synapse)."""

    upstream: str
    plans: list[Plan] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    def fail(self, method: str, path: str, *, skip: int = 0) -> None:
        """Fail the ``skip+1``-th request from now whose path contains ``path``."""
        self.plans.append(Plan(method, re.compile(re.escape(path)), skip))

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, handle_signals=False, handler_cancellation=True,
                                     shutdown_timeout=1.0)  # fmt: skip
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _planned(self, request: web.Request) -> bool:
        for plan in self.plans:
            if plan.method == request.method and plan.path.search(request.path):
                if plan.skip:
                    plan.skip -= 1
                    return False
                self.plans.remove(plan)
                self.failed.append(f"{request.method} {request.path}")
                return True
        return False

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        if self._planned(request):
            error = {"errcode": "M_UNKNOWN", "error": "injected by the test"}
            return web.json_response(error, status=500)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length")}  # fmt: skip
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=await request.read(),
            headers=headers,
        ) as up:  # fmt: skip
            out = web.Response(status=up.status, body=await up.read())
            for k, v in up.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    out.headers[k] = v
            return out


@dataclass
class Ranked:
    world: World
    link: FaultyLink
    people: dict[str, Account]
    shared: str = ""
    mark: int = 0

    def holder(self, kind: str, which: int = 0) -> Account:
        return self.people[KINDS[kind][2][which]]

    def _begin(self) -> None:
        self.link.plans.clear()
        self.link.failed.clear()
        self.mark = len(self.world.proxy.calls)

    async def room(self) -> str:
        """A fresh room, for a test that might leave it changed."""
        self._begin()
        power = {self.people[n].user_id: level for _, level, names in KINDS.values()
                 for n in names if level}  # fmt: skip
        everyone = [*self.people.values(), self.world.watcher.who]
        return await self.world.hs.create_room(
            self.world.bot, name="Rank", members=everyone, power=power, version="12",
            kick=KICK_LEVEL,
        )  # fmt: skip

    async def matrix_room(self) -> str:
        """The matrix's room, with anyone an earlier case removed invited and joined again
        (their power level stays in the room's power levels); much quicker than a new room."""
        if not self.shared:
            self.shared = await self.room()
        hs, room = self.world.hs, self.shared
        joined = await self.world.joined(room)
        for person in self.people.values():
            if person.user_id not in joined:
                await hs.invite(self.world.bot, room, person.user_id)
                await hs.join(person, room)
        self._begin()
        return room

    def changes(self, room: str) -> list[str]:
        """State changes kickbot made in ``room`` since the test began."""
        calls = self.world.proxy.calls[self.mark :]
        return [f"{c.method} {c.path} -> {c.status}" for c in calls
                if c.changes_state and f"/rooms/{room}/" in c.path]  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ranked(
    synapse: SynapseServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Ranked]:
    world = await make_world(synapse, tmp_path_factory.mktemp("matrix-rank"))
    link = FaultyLink(world.proxy.url)
    try:
        tag = secrets.token_hex(3)
        extra = {n: await world.hs.register(f"{n}.{tag}", n.capitalize())
                 for n in ("gail", "hal", "ivy")}  # fmt: skip
        people = {n: getattr(world, n) for n in ("alice", "bob", "carol", "dave", "erin",
                                                  "frank", "zed")} | extra  # fmt: skip
        ids = {kind: [people[n].user_id for n in names] for kind, (_, _, names) in KINDS.items()}
        policy: dict[str, Any] = {
            "commands": {
                "kick": {
                    "room_owners": True,
                    "users": ids["compliance"] + ids["admin"] + ids["member"],
                }
            },
            "ranks": [
                {"name": "compliance", "users": ids["compliance"]},
                {"name": "admin", "users": ids["admin"]},
            ],
            "protect_named_users": False,
        }
        await link.start()
        await world.start_bot(world.settings(world.section(homeserver=link.url), policy=policy))
        yield Ranked(world, link, people)
    finally:
        for started in list(world.apps):
            await world.stop_bot(started)
        await link.stop()
        await world.watcher.stop()
        await world.proxy.stop()
        await world.hs.close()


def refusal(mine: str, theirs: str) -> str:
    if mine == theirs == "room owner":
        return "ranks the same as or above you in this room (the platform's own order"
    if mine == theirs:
        return f"has the same rank as you ({theirs}): not touched."
    return f"outranks you ({theirs} above {mine}): not touched."


@pytest.mark.parametrize(("caller_kind", "target_kind"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
async def test_rank_matrix(ranked: Ranked, caller_kind: str, target_kind: str) -> None:
    world = ranked.world
    room = await ranked.matrix_room()
    caller = ranked.holder(caller_kind)
    target = ranked.holder(target_kind, 1 if caller_kind == target_kind else 0)
    event = await world.say(caller, f"!kick {target.user_id}", room=room)
    reply = (await world.watcher.reply_to(event)).body
    order = list(KINDS)
    if order.index(caller_kind) < order.index(target_kind):
        assert f"Removed {target.display_name}." in reply
        assert target.user_id not in await world.joined(room)
        assert ranked.changes(room) == [f"POST /_matrix/client/v3/rooms/{room}/kick -> 200"]
    else:
        mine, theirs = KINDS[caller_kind][0], KINDS[target_kind][0]
        assert f"{target.display_name} {refusal(mine, theirs)}" in reply
        assert target.user_id in await world.joined(room)
        assert ranked.changes(room) == []


async def test_a_failed_room_lookup_refuses_the_whole_command(ranked: Ranked) -> None:
    world = ranked.world
    room = await ranked.room()
    # The caller's rank is read from the room's power levels: that read fails.
    ranked.link.fail("GET", f"/rooms/{room}/state/m.room.power_levels")
    bob, carol = ranked.people["bob"], ranked.people["carol"]
    event = await world.say(ranked.people["alice"], f"!kick {bob.user_id} {carol.user_id}",
                            room=room)  # fmt: skip
    reply = (await world.watcher.reply_to(event)).body
    assert "Could not check the room before acting, so nothing was changed" in reply
    assert "M_UNKNOWN: injected by the test" in reply
    assert ranked.link.failed == [f"GET /_matrix/client/v3/rooms/{room}/state/m.room.power_levels"]
    assert {bob.user_id, carol.user_id} <= await world.joined(room)
    assert ranked.changes(room) == []


async def test_a_failed_grading_of_one_owner_refuses_that_target_only(ranked: Ranked) -> None:
    world = ranked.world
    room = await ranked.room()
    # The first power-levels read gives the roles of everyone; the second grades owner against
    # owner (``outranks``) for Ivy (50) under Alice (75): that one fails.
    ranked.link.fail("GET", f"/rooms/{room}/state/m.room.power_levels", skip=1)
    bob, ivy = ranked.people["bob"], ranked.people["ivy"]
    event = await world.say(ranked.people["alice"], f"!kick {bob.user_id} {ivy.user_id}",
                            room=room)  # fmt: skip
    reply = (await world.watcher.reply_to(event)).body
    assert ivy.user_id in await world.joined(room)
    assert len(ranked.link.failed) == 1
    assert f"Could not establish the rank of {ivy.display_name}" in reply
    assert "Removed Bob." in reply
    assert ranked.changes(room) == [f"POST /_matrix/client/v3/rooms/{room}/kick -> 200"]


async def test_a_failed_power_levels_read_never_rewrites_them(ranked: Ranked) -> None:
    world = ranked.world
    room = await ranked.room()
    before = await world.hs.power_levels(world.watcher.who, room)
    # Reads of the power levels: the member list's, the grading of owner against owner, then
    # the adapter's own before it writes the new levels: that last one fails.
    ranked.link.fail("GET", f"/rooms/{room}/state/m.room.power_levels", skip=2)
    ivy = ranked.people["ivy"]
    event = await world.say(ranked.people["alice"], f"!demote {ivy.user_id}", room=room)
    reply = (await world.watcher.reply_to(event)).body
    assert len(ranked.link.failed) == 1
    assert f"Could not demote {ivy.display_name}" in reply
    assert await world.hs.power_levels(world.watcher.who, room) == before
    assert ranked.changes(room) == []
