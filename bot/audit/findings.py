"""What a verification found: the first break in the chain, and the rows shown to users
that differ from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.audit.links import Head


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    why: str

    def __str__(self) -> str:
        return f"record #{self.seq}: {self.why}" if self.seq else self.why


@dataclass(slots=True)
class Verification:
    """What ``verify`` found."""

    checked: int = 0
    """Records whose links were checked, up to the first broken one."""
    broken: Broken | None = None
    """The first break in the chain itself (links, checkpoints, key, head)."""
    plain: int = 0
    keyed: int = 0
    checkpoints: int = 0
    head: Head | None = None
    """The chain's end, as checked."""
    cases: int = 0
    results: int = 0
    """Closed cases and their per-target results found to match the chain."""
    mismatches: list[Broken] = field(default_factory=list)
    """Rows of ``commands`` and ``results`` (what ``kickbot audit`` and ``/case`` show) that
    differ from the chain, each with the audit record concerned (0: none)."""

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.mismatches

    @property
    def first_problem(self) -> Broken | None:
        return self.broken or (self.mismatches[0] if self.mismatches else None)
