"""What a handler may read and record about cases (``Cases.book``, ``bot.services``): the store
implements it. Handlers get this narrow view, not the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Unpack

from bot.model import UserRef
from bot.store import AuditQuery, AuditRow, OpenJob, PendingConfirmation
from bot.undo_steps import StoredStep


class CaseBook(Protocol):
    """Read access to recorded cases (the store)."""

    async def audit(self, **query: Unpack[AuditQuery]) -> list[AuditRow]: ...

    async def undoable(self, case: int) -> list[tuple[UserRef, StoredStep]]: ...

    async def last_case(
        self, platform: str, room: str, caller_id: str, commands: Sequence[str]
    ) -> int | None: ...

    async def mark_undoes(self, case: int, undone: int) -> None: ...

    async def undoes(self, case: int) -> int | None:
        """The case an undo reverses, once a run of it chose it (``mark_undoes``)."""
        ...

    async def last_undoable(
        self, platform: str, room: str, caller_id: str, names: Sequence[str], since: str
    ) -> int | None: ...

    async def undo_claims(self, case: int) -> dict[str, int]: ...

    async def claim_undo(
        self, case: int, by_case: int, target_ids: Sequence[str]
    ) -> dict[str, int]: ...

    async def release_undo(self, case: int, by_case: int, target_ids: Sequence[str]) -> None:
        """Give up ``by_case``'s claims on changes it failed to reverse (see ``Store``)."""
        ...

    async def pending_confirmation(self, case: int) -> PendingConfirmation | None: ...

    async def open_jobs(self, platform: str, room: str) -> list[OpenJob]: ...

    async def note_total(self, job_id: int, total: int) -> None: ...

    async def request_cancel(self, case: int, by_case: int, reply: str) -> str:
        """ "cancelled" (closed before it ran), "stopping" (running: stops after the current
        target), "finished" (too late) or "unknown"."""
        ...

    async def confirm(self, case: int, by_case: int) -> bool:
        """Release a plan awaiting confirmation to run; False if it was confirmed or expired
        meanwhile."""
        ...
