"""Progress of long commands: every 10 % or every minute, whichever is rarer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.model import UserRef
from bot.outcome import ItemResult, Status
from bot.progress import Progress
from bot.reply import line
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, ConfigMaker, Room, running, start_bot
from tests.crowd import CROWD, add_crowd, mentions


def item(n: int) -> ItemResult:
    return ItemResult(UserRef(str(n)), Status.DONE, line("done"))


@pytest.mark.parametrize(
    ("seconds_per_item", "expected"),
    [
        (10.0, [10, 20, 30, 40, 50, 60, 70, 80, 90]),  # 10 % takes 100 s: every 10 %
        (1.0, [60]),  # 10 % takes 10 s: every minute (then 100 is the summary's)
        (0.01, []),  # done within a second: only the final summary
    ],
    ids=["slow-every-10-percent", "fast-every-minute", "quick-none"],
)
async def test_reports_at_the_rarer_of_10_percent_and_a_minute(
    seconds_per_item: float, expected: list[int]
) -> None:
    now = [0.0]
    posted: list[tuple[int, int, float | None]] = []

    async def post(items: Sequence[ItemResult], total: int, left: float | None) -> None:
        posted.append((len(items), total, left))

    progress = Progress(100, post, monotonic=lambda: now[0])
    items: list[ItemResult] = []
    for n in range(100):
        now[0] += seconds_per_item
        items.append(item(n))
        await progress(items)
    assert [p[0] for p in posted] == expected
    assert all(total == 100 for _, total, _ in posted)
    if posted:  # the estimate of what is left follows the pace so far
        done, _, left = posted[0]
        assert left == pytest.approx((100 - done) * seconds_per_item)


async def test_progress_is_posted_in_the_thread(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with running(pod, settings_for(bulk={"progress_every_seconds": 0})):
        crowd = add_crowd(pod, CROWD, 10)
        room = Room(pod, CROWD)
        assert "/confirm 1" in (await room.say(ALICE, f"/kick {mentions(crowd)}")).text
        assert "Confirmed case 1" in (await room.say(ALICE, "/confirm 1")).text
        reports = [(await pod.next_message(CROWD)).text for _ in range(9)]
        summary = await pod.next_message(CROWD)
    for n, text in enumerate(reports, start=1):
        assert text.startswith(
            f"@Alice Owner /kick · case 1: in progress, {n} of 10 handled ({n * 10} %): {n} done."
        )
    assert summary.text.startswith("@Alice Owner /kick · case 1: 10 done")


async def test_a_quick_job_reports_no_progress(pod: SymphonyPod, settings_for: ConfigMaker) -> None:
    app = await start_bot(settings_for())  # every minute at most: this job takes less
    try:
        await pod.wait_until_listening()
        crowd = add_crowd(pod, CROWD, 10)
        room = Room(pod, CROWD)
        await room.say(ALICE, f"/kick {mentions(crowd)}")
        await room.say(ALICE, "/confirm 1")
        summary = await pod.next_message(CROWD)
    finally:
        await app.stop()
    assert summary.text.startswith("@Alice Owner /kick · case 1: 10 done")
    assert len(pod.messages(CROWD)) == 3  # the plan, the confirmation, the summary
