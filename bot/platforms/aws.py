"""What the AWS platforms share: botocore's credential chain and the retries of throttled calls.

Amazon's chat APIs answer a rate limit with 429 ``ThrottledClientException``, which botocore's
retry modes do not count as throttling, and an overload with 503. Both are retried here with
tenacity, bounded, honouring a ``Retry-After`` hint when one comes, else exponential backoff
with jitter; every other failure goes straight back. The adapters turn the service's errors into
``bot.errors`` values first, so these rules read only kickbot's own error tree.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import botocore.session
import structlog
from botocore.exceptions import BotoCoreError, ProfileNotFound
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from bot import errors

log = structlog.get_logger(__name__)


@dataclass
class Attempts:
    """How many times one logical call went out (a retried DELETE may meet its own effect)."""

    count: int = 0

    def suffix(self) -> str:
        """`` after N attempts`` when it went out more than once, for an answer's summary."""
        return f" after {self.count} attempts" if self.count > 1 else ""


def botocore_session(section: str, profile: str | None) -> botocore.session.Session:
    """A botocore session on the usual chain (environment, shared files or ``profile``, roles)
    that has found credentials; a ``ConfigError`` naming ``section`` when it has none."""
    try:
        session = botocore.session.Session(profile=profile or None)
        credentials = session.get_credentials()
    except ProfileNotFound as exc:
        raise errors.ConfigError(f"{section}.profile: {exc}") from None
    except BotoCoreError as exc:
        raise errors.ConfigError(f"{section}: cannot load AWS credentials: {exc}") from None
    if credentials is None:
        raise errors.ConfigError(
            f"{section}: no AWS credentials found (botocore looked in AWS_ACCESS_KEY_ID/"
            f"AWS_SECRET_ACCESS_KEY, AWS_PROFILE or {section}.profile, the shared files and roles)"
        )
    return session


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retryable(exc: BaseException) -> bool:
    """429, and 503 (which kickbot also gives a connection that failed)."""
    if isinstance(exc, errors.RateLimited):
        return True
    return isinstance(exc, errors.Unavailable) and exc.status == 503


class WaitHint(wait_base):
    """The server's ``Retry-After`` when it gives one (capped), else exponential with jitter."""

    def __init__(self, initial: float, cap: float) -> None:
        self._cap = cap
        self._fallback = wait_exponential_jitter(initial=initial, max=cap, jitter=initial)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self._cap)
        return float(self._fallback(retry_state))


def retrying(attempts: int, initial_seconds: float, max_wait_seconds: float) -> AsyncRetrying:
    """Tenacity's loop for one logical call: at most ``attempts`` tries while ``retryable``."""
    return AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=WaitHint(initial_seconds, max_wait_seconds),
        retry=retry_if_exception(retryable),
        before_sleep=_log_retry,
        reraise=True,
    )


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else None
    log.info("aws call retried", attempt=state.attempt_number, error=str(exc), wait_s=wait)
