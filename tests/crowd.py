"""Rooms with many members on the Symphony double, for the bulk tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.settings import Settings
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOT, CAROL, Room, running

CROWD = "Q3Jvd2QtUm9vbS0wMDAx"
JUMBO = "SnVtYm8tUm9vbS0wMDAx"
FIRST = 5000


def add_crowd(pod: SymphonyPod, stream_id: str, size: int, name: str = "Crowd") -> list[int]:
    """A room owned by Alice and Carol with the bot and ``size`` generated members, who can be
    mentioned as ``@m5000``, ``@m5001``, …; returns their user ids."""
    ids = list(range(FIRST, FIRST + size))
    for uid in ids:
        if uid not in pod.users:
            pod.add_user(uid, f"Member {uid}", username=f"m{uid}")
    pod.add_room(stream_id, name, owners=[ALICE, CAROL], members=[BOT, *ids])
    return ids


def mentions(ids: list[int]) -> str:
    return " ".join(f"@m{uid}" for uid in ids)


@contextlib.asynccontextmanager
async def crowded(
    pod: SymphonyPod, settings: Settings, size: int
) -> AsyncIterator[tuple[list[int], Room]]:
    """The crowd room (``add_crowd``) of ``size`` members and the bot on ``settings``, running:
    the members' ids and the room to talk in."""
    crowd = add_crowd(pod, CROWD, size)
    async with running(pod, settings):
        yield crowd, Room(pod, CROWD)
