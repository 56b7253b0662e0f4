"""What the core tells an observer as it works, for metrics (``bot.ops.metrics``).

The core calls the installed ``Observer`` at a few central places (a command recorded, a case
answered, a state-changing call resent, a store unit, a job taken over), and each platform's
client at the one place it makes an API call (``api_call``, named by the API's operation); the
default observes nothing, so no metrics library is imported unless the operations endpoint is
configured. Labels are bounded by construction: platform and command names come from the
registries, operations from the platforms' code, outcomes and reasons from enums, statuses
from HTTP classes; never a user, a room or free text."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from bot.errors import PlatformError


class Observer:
    """Observes nothing; ``bot.ops.metrics.PrometheusObserver`` counts."""

    def command_received(self, platform: str, command: str) -> None:
        """A command was recorded (``command``: a registered name or ``unknown``)."""

    def case_answered(self, platform: str, command: str, outcome: str) -> None:
        """A case's reply went out (``outcome``: ``bot.outcome.OutcomeKind``)."""

    def refused(self, platform: str, command: str, reason: str) -> None:
        """A whole command was refused (``reason``: ``bot.outcome.Refusal``)."""

    def platform_call(self, platform: str, operation: str, status: str, seconds: float) -> None:
        """A call to a platform's API ended (its client's retries inside it included):
        ``status`` "ok", an HTTP status ("429"), "error" (no status) or "cancelled"."""

    def platform_retry(self, platform: str, command: str) -> None:
        """A state-changing call failed after going out more than once
        (``PlatformError.resent``)."""

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


def status_of(failed: BaseException | None) -> str:
    """A call's status label: "ok", the HTTP status of its ``PlatformError``, "cancelled", or
    "error" (no status)."""
    if failed is None:
        return "ok"
    if isinstance(failed, PlatformError) and failed.status is not None:
        return str(failed.status)
    if isinstance(failed, asyncio.CancelledError):
        return "cancelled"
    return "error"


class ApiCall:
    """A platform API call being measured (``api_call``)."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status: str | None = None
        """Set by a client whose failures come back as answers (Slack's ``"ok": false``);
        else the status follows from how the call ended."""


@contextlib.contextmanager
def api_call(platform: str, operation: str) -> Iterator[ApiCall]:
    """Measure the platform API call made inside: ``operation`` the API's name for it
    (``conversations.kick``, ``removeMember``, ``DeleteChannelMembership``, ``kick``), from
    the client's code, never from user data."""
    call, began, failed = ApiCall(), time.monotonic(), None
    try:
        yield call
    except BaseException as exc:
        failed = exc
        raise
    finally:
        status = call.status or status_of(failed)
        _installed.platform_call(platform, operation, status, time.monotonic() - began)


def change_ended(platform: str, command: str, failed: BaseException | None) -> None:
    """A state-changing call ended (``bot.context.Context.change``), with its error if any: a
    failure after it went out more than once is counted by command (the call itself is counted
    by operation, where the platform's client makes it)."""
    if isinstance(failed, PlatformError) and failed.resent:
        _installed.platform_retry(platform, command or "unknown")
