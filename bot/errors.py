"""Exceptions kickbot raises and understands.

    KickbotError
    ├── ConfigError           the configuration file is wrong (message names the key)
    ├── StoreError            the durable store could not record or read
    └── PlatformError         a chat platform refused or failed a call
        ├── BadRequest        400: the platform found the request invalid for this room/user
        ├── Unauthorized      401: the bot's session is not valid
        ├── Forbidden         403: the bot lacks an entitlement or role
        │   └── RuleForbids   the platform's rule forbids it, checked before any call
        ├── NotFound          404: no such room / group / user
        ├── RateLimited       429: slow down (``retry_after`` seconds when the platform says)
        └── Unavailable       5xx or network failure

Adapters map their SDK's errors onto this tree in one function each; handlers catch
``PlatformError`` and turn it into a per-target "failed" line.
"""

from __future__ import annotations


class KickbotError(Exception):
    pass


class ConfigError(KickbotError):
    """One or more problems, each naming its key (``store: unsupported database URL …``)."""

    def __init__(self, *problems: str):
        super().__init__("; ".join(problems))
        self.problems: tuple[str, ...] = problems


class MissingExtra(ConfigError):
    """A platform's SDK (its pip extra) is not installed: the message says what to install."""


class StoreError(KickbotError):
    pass


class PlatformError(KickbotError):
    status: int | None = None
    resent: bool = False
    """The call went out more than once (the adapter or its SDK tried again): an earlier
    attempt may have acted and lost its answer, so this error may describe that attempt's
    effect ("not a member", "already in the room") rather than a refusal."""
    unsettled: bool = False
    """The call may have acted and a look at the platform could not tell whether it did
    (see ``bot.lost_answers.confirmed``): its outcome is unknown, not a failure."""

    def __init__(self, detail: str, *, status: int | None = None, response: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.response = response


class BadRequest(PlatformError):
    status = 400


class Unauthorized(PlatformError):
    status = 401


class Forbidden(PlatformError):
    status = 403


class RuleForbids(Forbidden):
    """The platform's own documented rule forbids the change (Matrix: power levels), as kickbot
    checked before making any call: nothing was sent. A ``Forbidden``, so code that handles a
    refusal handles it too; a reply says it as a refusal, not as a failed call."""


class NotFound(PlatformError):
    status = 404


class RateLimited(PlatformError):
    status = 429

    def __init__(
        self, detail: str, *, retry_after: float | None = None, response: str | None = None
    ):
        super().__init__(detail, response=response)
        self.retry_after = retry_after


class Unavailable(PlatformError):
    status = 500


def from_status(status: int, detail: str, response: str | None = None) -> PlatformError:
    """The PlatformError subtype for an HTTP status."""
    kinds: dict[int, type[PlatformError]] = {
        400: BadRequest,
        401: Unauthorized,
        403: Forbidden,
        404: NotFound,
    }
    if status == 429:
        return RateLimited(detail, response=response)
    if status >= 500:
        return Unavailable(detail, status=status, response=response)
    return kinds.get(status, PlatformError)(detail, status=status, response=response)
