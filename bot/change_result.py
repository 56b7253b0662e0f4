"""One state-changing call for one target, as the commands that change a room make it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.errors import PlatformError, RuleForbids
from bot.model import UserRef
from bot.outcome import ItemResult, Status
from bot.replies import failures


async def change_or_result(
    change: Callable[[], Awaitable[str | None]], target: UserRef, doing: str
) -> str | ItemResult | None:
    """``change``, a call through ``Effects`` (paced, journalled): what the platform said
    (None: a dry run, nothing called), or the target's result if it was not carried out:
    refused by the platform's rule before any call, or failed (``doing``, such as "remove",
    names the act)."""
    try:
        return await change()
    except RuleForbids as err:  # the platform's rule, checked before any call
        return ItemResult(target, Status.REFUSED, failures.not_touched_by_rule(target, err))
    except PlatformError as err:
        return ItemResult(
            target, Status.FAILED, failures.failed(target, doing, err), err.response or err.detail
        )
