"""Words every sentence shares: names of platforms, people and rooms, durations, counts and
times, and how many lines a reply lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.model import UserRef
from bot.outcome import ItemResult, Status
from bot.platforms import PLUGINS
from bot.reply import Mention, Untrusted

PLATFORM_NAMES = {plugin.name: plugin.display_name for plugin in PLUGINS}
"""Each platform as a sentence names it (its package declares it)."""


def platform_name(name: str) -> str:
    return PLATFORM_NAMES.get(name, name)


PLAN_LINES = 25
"""Targets listed in a plan; the rest are counted (every one is in the case, /case <n>)."""


REPORT_LINES = 25
"""Per-target lines in a final report, likewise (Symphony allows 40 mentions per message)."""


NOTE_LINES = 10


def who(user: UserRef) -> Mention | Untrusted:
    # A target resolved from an e-mail has an id too, so it can always be mentioned.
    return Mention(user)


def in_room(room: str) -> Untrusted:
    return Untrusted(f"“{room}”")


def people(n: int) -> str:
    return "1 person" if n == 1 else f"{n:,} people"


def counts(items: Sequence[ItemResult]) -> str:
    words = {
        Status.DONE: "done",
        Status.REFUSED: "refused",
        Status.FAILED: "failed",
        Status.PLANNED: "would be done",
    }
    parts = []
    for status in (Status.DONE, Status.PLANNED, Status.REFUSED, Status.FAILED):
        n = sum(1 for i in items if i.status is status)
        if n:
            parts.append(f"{n} {words[status]}")
    return ", ".join(parts) or "nothing to do"


def duration(seconds: float) -> str:
    s = round(seconds)
    if s < 1:
        return "less than a second"
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, rest = divmod(s, 60)
        return f"{m} min {rest} s" if rest else f"{m} min"
    h, rest = divmod(s, 3600)
    return f"{h} h {rest // 60} min"


def about(seconds: float) -> str:
    said = duration(seconds)
    return said if seconds < 1 else "about " + said


def utc_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def local_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M ") + (at.tzname() or "")


def seconds_until(at: datetime) -> float:
    return max(0.0, at.timestamp() - datetime.now(UTC).timestamp())
