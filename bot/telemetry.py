"""What the core tells an observer as it works, for metrics (``bot.ops.metrics``).

The core calls the installed ``Observer`` at a few central places (a command recorded, a case
answered, a state-changing platform call, a store unit, a job taken over); the default observes
nothing, so no metrics library is imported unless the operations endpoint is configured. Labels
are bounded by construction: platform and command names come from the registries, outcomes and
reasons from enums, statuses from HTTP classes; never a user, a room or free text."""

from __future__ import annotations

from bot.errors import PlatformError


class Observer:
    """Observes nothing; ``bot.ops.metrics.PrometheusObserver`` counts."""

    def command_received(self, platform: str, command: str) -> None:
        """A command was recorded (``command``: a registered name or ``unknown``)."""

    def case_answered(self, platform: str, command: str, outcome: str) -> None:
        """A case's reply went out (``outcome``: ``bot.outcome.OutcomeKind``)."""

    def refused(self, platform: str, command: str, reason: str) -> None:
        """A whole command was refused (``reason``: ``bot.outcome.Refusal``)."""

    def platform_call(self, platform: str, command: str, status: str, seconds: float) -> None:
        """A state-changing platform call ended: ``status`` "ok", an HTTP status ("429"),
        or "error" (no status)."""

    def platform_retry(self, platform: str, command: str) -> None:
        """A state-changing call went out more than once (``PlatformError.resent``)."""

    def store_unit(self, seconds: float, ok: bool) -> None:
        """A unit of store work ended (its queueing for the store's thread included)."""

    def job_taken_over(self, platform: str) -> None:
        """A job was claimed from an instance whose lease on it had lapsed."""


_installed: Observer = Observer()


def observer() -> Observer:
    return _installed


def install(new: Observer) -> None:
    global _installed
    _installed = new


def call_ended(platform: str, command: str, failed: BaseException | None, seconds: float) -> None:
    """A state-changing call ended (``bot.context.Context.change``), with its error if any."""
    if failed is None:
        status = "ok"
    elif isinstance(failed, PlatformError) and failed.status is not None:
        status = str(failed.status)
    else:
        status = "error"
    _installed.platform_call(platform, command or "unknown", status, seconds)
    if isinstance(failed, PlatformError) and failed.resent:
        _installed.platform_retry(platform, command or "unknown")
