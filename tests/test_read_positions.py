"""Read positions in the store: per platform, account and room; only ever forward."""

from __future__ import annotations

from bot.model import ReadPosition
from bot.store import Store


async def test_positions_are_kept_per_account_and_only_move_forward(store_url: str) -> None:
    store = await Store.open(store_url)
    try:
        positions = store.read_positions
        assert await positions.load("chime_sdk", "bot-a") == {}
        await positions.save(
            "chime_sdk",
            "bot-a",
            {"room-1": ReadPosition(100.5, "m2"), "": ReadPosition(90.0, "")},
        )
        await positions.save("chime_sdk", "bot-b", {"room-1": ReadPosition(50.0, "x")})
        # An older position (a slower instance saving late) leaves the newer one in place;
        # at the same time, the greater id wins.
        await positions.save(
            "chime_sdk",
            "bot-a",
            {"room-1": ReadPosition(99.0, "m1"), "": ReadPosition(95.0, "")},
        )
        await positions.save("chime_sdk", "bot-b", {"room-1": ReadPosition(50.0, "y")})
    finally:
        await store.close()
    store = await Store.open(store_url)
    try:
        assert await store.read_positions.load("chime_sdk", "bot-a") == {
            "room-1": ReadPosition(100.5, "m2"),
            "": ReadPosition(95.0, ""),
        }
        assert await store.read_positions.load("chime_sdk", "bot-b") == {
            "room-1": ReadPosition(50.0, "y")
        }
        assert await store.read_positions.load("slack", "bot-a") == {}
    finally:
        await store.close()
