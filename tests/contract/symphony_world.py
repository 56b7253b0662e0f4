"""The Symphony world of the contract table (see ``worlds.py``): the pod double and the bot."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tests import conftest as symphony
from tests import kit
from tests.conftest import DESK, SOLO
from tests.contract import worlds as w
from tests.kit import SPINE_POLICY

VERBS = {"remove": "remove", "add": "add", "demoteOwner": "demote", "promoteOwner": "promote"}
"""Symphony's membership endpoints, as a change is written."""


@contextlib.asynccontextmanager
async def symphony_world(start: w.Start) -> AsyncIterator[w.World]:
    ids, name = w.people_of(symphony, extra={p: 2001 + i for i, p in enumerate(w.EXTRA)})
    async with kit.checked(symphony.make_pod()) as pod:
        for p, display in w.EXTRA.items():
            pod.add_user(ids[p], display, email=f"{p}@example.com", username=p)
            pod.room(DESK).set_member(ids[p], owner=False)
        section = pod.bdk_config(pod.write_private_key(start.tmp_path / "bot.pem"))
        app = await symphony.start_bot(start.settings("symphony", section, SPINE_POLICY))
        await pod.wait_until_listening()
        desk, solo = (w.room_of(symphony.Room(pod, r), ids, name) for r in (DESK, SOLO))
        room = pod.room(DESK).stream_id

        async def later() -> str:
            return await w.text_of(pod.next_message(DESK, timeout=20.0))

        async def post(person: str, text: str) -> w.Reply:
            pod.say(ids[person], DESK, text)
            return later

        def changes() -> list[str]:
            made = symphony.changes(pod)  # every membership or IB group change
            assert all(f"/room/{room}/" in c for c in made), made  # the id URL-safe
            return [
                f"{VERBS[r.path.rsplit('/', 1)[1]]} {name((r.body or {}).get('id'))}"
                for r in pod.calls("POST", r"/membership/")
                if not r.path.endswith("/list")
            ]

        def ims() -> dict[str, str]:
            return {
                name(uid): im.stream_id
                for im in pod.rooms.values()
                if im.stream_type == "IM"
                for uid in im.members
                if uid != symphony.BOT
            }

        async def notice(person: str) -> str:
            return (await pod.next_message(ims()[person])).text

        def refuse() -> None:
            pod.fail_next("POST", r"/pod/v1/im/create", 403, times=10)

        def call(change: str) -> str:
            return f"/membership/{ {v: k for k, v in VERBS.items()}[change] }$"

        def lose(change: str, how: str) -> None:
            status = 500 if how == "500" else 0
            pod.fail_next("POST", call(change), status, after_effect=True, reset=how == "reset")

        def refuse_change(change: str) -> None:
            pod.fail_next("POST", call(change), 400, body={"code": 400, "message": "No, not today"})

        def fail_room() -> str:
            pod.fail_next("GET", r"/pod/v2/room/[^/]+/membership/list", 403)
            return "the platform refused (403)"

        try:
            yield w.World(
                "symphony",
                "/",
                {p: f"@{p}" for p in ids} | {"erin": "erin@example.com"},
                {p: f"@{pod.user(ids[p]).display_name}" for p in ids},
                desk.say,
                desk.members,
                changes,
                lambda: {name(uid) for uid, owner in pod.room(DESK).members.items() if owner},
                "Trading Desk",
                w.Notices(notice, lambda: list(ims()), refuse),
                lambda person, text: desk.say(person, "@kickbot " + text),
                knobs=w.Knobs(
                    lose,
                    refuse_change,
                    lambda: pod.hold_next("GET", r"/pod/v3/room/[^/]+/info"),
                    fail_room,
                ),
                app=app,
                post=post,
                later=later,
                server=pod,
                solo=solo,
                nook=lambda: (
                    pod.add_room(None, "Nook", owners=[ids["bob"]], members=[ids["kickbot"]]).name
                ),
            )
        finally:
            await app.stop()
