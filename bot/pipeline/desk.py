"""What the steps of the pipeline share: one value, built once by the ``Dispatcher``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from bot import schedule
from bot.commands import Registry
from bot.entitlement import Policy
from bot.everywhere.reach import Reach
from bot.pacing import Clock, PaceRule, RoomPacing, Sleep
from bot.pipeline.resolve import Resolver
from bot.settings import BulkSettings, NotifySettings
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Desk:
    store: Store
    registry: Registry
    policy: Policy
    resolver: Resolver
    """The policy's e-mail entries as each platform knows them."""
    bulk: BulkSettings
    notify: NotifySettings
    tz: tzinfo
    """The zone of ``bulk.timezone``: ``--at`` times and working hours."""
    pacing: RoomPacing
    monotonic: Clock
    stopping: Callable[[], bool]
    """Whether the bot is shutting down: a running command stops between two targets."""
    reach: Reach
    """Every platform of the app (an all-platform command, a reply's copies elsewhere)."""

    @classmethod
    def build(
        cls,
        store: Store,
        registry: Registry,
        policy: Policy,
        *,
        bulk: BulkSettings,
        notify: NotifySettings,
        sleep: Sleep,
        monotonic: Clock,
        stopping: Callable[[], bool],
        reach: Reach,
    ) -> Desk:
        """The desk for these settings: the room pacer and the zone made from ``bulk``."""
        pacing = RoomPacing(
            bulk.jumbo_members,
            bulk.jumbo_interval_seconds,
            rules=[PaceRule(r.platform, r.above_members, r.interval_seconds) for r in bulk.paces],
            sleep=sleep,
            monotonic=monotonic,
        )
        return cls(
            store,
            registry,
            policy,
            Resolver(policy, monotonic),
            bulk,
            notify,
            schedule.zone(bulk.timezone),
            pacing,
            monotonic,
            stopping,
            reach,
        )
