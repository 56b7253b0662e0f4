"""``mention_required: true``, the same on every platform where a line can reach the bot without
a mention of it (see ``test_contract.py``): only what is said to the bot is run or answered."""

from __future__ import annotations

import pytest

from tests.contract.worlds import World


@pytest.mark.parametrize("options", [{"mention_required": True}], ids=["mention-required"])
async def test_with_mention_required_only_a_line_said_to_the_bot_is_run(world: World) -> None:
    if world.post is None or world.mention is None or world.mention_only:
        pytest.skip(f"{world}: only lines said to the bot reach it")
    c, kik = world.command, f"{world.command}kik {world.typed['bob']}"
    for unaddressed in (world.line("kick", "bob"), kik):
        await world.post("alice", unaddressed)  # an answer, if any, would be the next one here
    assert f"Removed {world.shown['dave']}." in await world.mentioned(
        "alice", world.line("kick", "dave")
    )
    typo = await world.mentioned("alice", kik)
    assert f"{c}kik is not a command. Did you mean {c}kick?" in typo
    assert "bob" in world.members()
    assert world.changes() == ["remove dave"]
