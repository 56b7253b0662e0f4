"""/offboard on Amazon Chime (model-checked double): the rooms the bot belongs to
(``ListRooms?member-id=``) where the person is a member."""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import BOB, DESK, FRANK, SOLO, ConfigMaker, Room, start_bot

NOOK = "a00c0000-0000-4000-8000-0000000a00c0"  # Bob is its only administrator
OUT = "0u700000-0000-4000-8000-000000000u70"  # the bot is not in it


async def test_offboarding_on_chime(chime: ChimeDouble, settings_for: ConfigMaker) -> None:
    chime.add_room(NOOK, "Nook", administrators=[BOB])
    chime.add_room(OUT, "Out", members=[BOB], with_bot=False)
    policy = {"commands": {"offboard": {"users": ["frank@example.com"]}}}
    app = await start_bot(settings_for(policy=policy), chime)
    try:
        reply = await Room(chime, DESK).say(FRANK, "/offboard bob@example.com moved")
    finally:
        await app.stop()
    text = reply.text
    assert "offboarding @bob@example.com from 3 rooms: 2 done, 1 refused." in text, text
    assert "Removed @bob@example.com from “Trading Desk” — reason: moved" in text
    assert "Removed @bob@example.com from “Solo” — reason: moved" in text
    assert "Refused in “Nook”: @bob@example.com is its last owner" in text
    assert "Out" not in text
    for room in (DESK, SOLO):
        assert BOB not in chime.room(room).roles
    assert BOB in chime.room(NOOK).roles
    assert BOB in chime.room(OUT).roles
    assert [c.query.get("member-id") for c in chime.calls("ListRooms")] == [
        chime.bot.user_id
    ] * 2  # the rehearsal, then the run
