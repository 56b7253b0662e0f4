"""Read positions (``read_positions``): how far a platform that does not redeliver has read
each room, so that after a reconnect or a restart it reads on from there (``bot.platform.
ReadPositions``). A position only moves forward, also when two instances save at once: the
upsert keeps the newer of the stored and the saved one."""

from __future__ import annotations

from collections.abc import Mapping

from bot.model import ReadPosition
from bot.store.connection import Connection
from bot.store.database import Database
from bot.store.journal import now_iso

_SAVING = """
INSERT INTO read_positions (platform, account, room, at, message_id, updated_at)
VALUES (:platform, :account, :room, :at, :message_id, :updated_at)
ON CONFLICT (platform, account, room) DO UPDATE
SET at = excluded.at, message_id = excluded.message_id, updated_at = excluded.updated_at
WHERE excluded.at > read_positions.at
   OR (excluded.at = read_positions.at AND excluded.message_id > read_positions.message_id)"""


class StoredReadPositions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, platform: str, account: str) -> dict[str, ReadPosition]:
        def read(conn: Connection) -> dict[str, ReadPosition]:
            rows = conn.rows(
                "SELECT room, at, message_id FROM read_positions"
                " WHERE platform = :platform AND account = :account",
                {"platform": platform, "account": account},
            )
            return {
                str(r["room"]): ReadPosition(float(r["at"]), str(r["message_id"])) for r in rows
            }

        return await self._db.run(read)

    async def save(
        self, platform: str, account: str, positions: Mapping[str, ReadPosition]
    ) -> None:
        if not positions:
            return
        at = now_iso()
        rows = [
            {
                "platform": platform,
                "account": account,
                "room": room,
                "at": position.at,
                "message_id": position.message_id,
                "updated_at": at,
            }
            for room, position in positions.items()
        ]

        def write(conn: Connection) -> None:
            conn.execute_many(_SAVING, rows)

        await self._db.run(write, atomic=True)
