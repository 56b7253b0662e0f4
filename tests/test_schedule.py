"""--at times and working hours, and their settings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import schedule
from bot.errors import ConfigError
from bot.settings import parse
from handlers import COMMANDS

LONDON = ZoneInfo("Europe/London")
KNOWN = [c.name for c in COMMANDS]
NOW = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:30", datetime(2026, 11, 24, 19, 30, tzinfo=LONDON)),
        ("7:05", datetime(2026, 11, 25, 7, 5, tzinfo=LONDON)),  # passed today: tomorrow
        ("2026-12-01T06:00", datetime(2026, 12, 1, 6, 0, tzinfo=LONDON)),
        ("2026-12-01T06:00+01:00", datetime(2026, 12, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_at_times(text: str, expected: datetime) -> None:
    assert schedule.parse_at(text, NOW, LONDON) == expected


@pytest.mark.parametrize("text", ["teatime", "25:00", "12:75", "2026-13-01T00:00", ""])
def test_bad_at_times(text: str) -> None:
    with pytest.raises(schedule.BadTime):
        schedule.parse_at(text, NOW, LONDON)


def test_days_and_hours() -> None:
    assert schedule.parse_days("mon-fri") == {0, 1, 2, 3, 4}
    assert schedule.parse_days("fri-mon") == {4, 5, 6, 0}
    assert schedule.parse_days("Mon, Wed,fri") == {0, 2, 4}
    with pytest.raises(schedule.BadTime):
        schedule.parse_days("weekdays")
    tuesday_5pm = datetime(2026, 11, 24, 17, 0, tzinfo=LONDON)
    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=LONDON)
    assert schedule.in_working_hours(tuesday_5pm, "08:00-18:00", "mon-fri", LONDON)
    assert not schedule.in_working_hours(tuesday_5pm, "08:00-17:00", "mon-fri", LONDON)
    assert not schedule.in_working_hours(saturday_noon, "08:00-18:00", "mon-fri", LONDON)
    # the zone decides: 17:30 UTC is 12:30 in New York
    assert schedule.in_working_hours(NOW, "08:00-13:00", "mon-fri", ZoneInfo("America/New_York"))


@pytest.mark.parametrize(
    ("bulk", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a known time zone"),
        ({"working_hours": "8 to 6"}, "'8 to 6' is not HH:MM-HH:MM"),
        ({"working_days": "weekdays"}, "'weekdays' is not a list of days"),
    ],
)
def test_bad_schedule_settings_name_the_key(bulk: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse({"bulk": bulk}, KNOWN, "test")
    assert message in str(err.value)
    assert "bulk." in str(err.value)


def test_pace_rules_are_validated() -> None:
    known = KNOWN
    rule = {"platform": "slack", "above_members": 500, "interval_seconds": 1.2}
    settings = parse({"bulk": {"paces": [rule]}}, known, "test")
    assert settings.bulk.paces[0].platform == "slack"
    with pytest.raises(ConfigError) as err:
        parse({"bulk": {"paces": [{"platform": "irc", "above_members": 1}]}}, known, "test")
    assert "bulk.paces.0" in str(err.value)
