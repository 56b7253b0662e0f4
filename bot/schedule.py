"""``--at`` times and working hours.

Symphony advises changing jumbo rooms outside working hours, so a job can be scheduled
(``--at 19:30`` or ``--at 2026-11-25T06:00``) and a jumbo plan asked for in working hours says so.
Times without a date are the next such time in the configured time zone; times without a zone
are in it too.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BadTime(ValueError):
    pass


def zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def parse_at(text: str, now: datetime, tz: tzinfo) -> datetime:
    """The moment ``text`` names, after ``now`` (an aware datetime)."""
    m = _CLOCK.match(text)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise BadTime(text)
        local = now.astimezone(tz)
        at = datetime.combine(local.date(), time(hour, minute), tz)
        return at if at > local else at + timedelta(days=1)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadTime(text) from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def parse_hours(text: str) -> tuple[time, time]:
    """ "08:00-18:00" -> (08:00, 18:00)."""
    start, _, end = text.partition("-")
    try:
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError as exc:
        raise BadTime(text) from exc


def parse_days(text: str) -> set[int]:
    """ "mon-fri" or "mon,wed,fri" -> weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise BadTime(text)
        a = _DAYS.index(first)
        b = _DAYS.index(last) if last else a
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return days


def in_working_hours(moment: datetime, hours: str, days: str, tz: tzinfo) -> bool:
    local = moment.astimezone(tz)
    start, end = parse_hours(hours)
    return local.weekday() in parse_days(days) and start <= local.time() < end
