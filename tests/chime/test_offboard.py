"""/offboard on Amazon Chime: the rooms come from ``ListRooms?member-id=`` the bot (the
outcome in each room: tests/contract/test_offboard.py), so a room without the bot is not one
it can act in."""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import BOB, DESK, FRANK, ConfigMaker, Room, start_bot
from tests.kit import running

OUT = "0u700000-0000-4000-8000-000000000u70"  # the bot is not in it


async def test_the_rooms_are_those_the_bot_is_in(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    chime.add_room(OUT, "Out", members=[BOB], with_bot=False)
    policy = {"commands": {"offboard": {"users": ["frank@example.com"]}}}
    async with running(start_bot(settings_for(policy=policy), chime)):
        text = (await Room(chime, DESK).say(FRANK, "/offboard bob@example.com moved")).text
    assert "offboarding @bob@example.com from 2 rooms: 2 done." in text, text
    assert "Out" not in text
    assert BOB in chime.room(OUT).roles
    listed = [c.query.get("member-id") for c in chime.calls("ListRooms")]
    assert listed == [chime.bot.user_id] * 2  # the rehearsal, then the run
