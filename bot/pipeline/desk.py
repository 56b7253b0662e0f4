"""What the steps of the pipeline share: one value, built once by the ``Dispatcher``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from bot.commands import Registry
from bot.entitlement import Policy
from bot.pacing import Clock, RoomPacing
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
