"""What the commands that take a case number (/case, /cancel, /undo) share: finding the case,
and letting a caller reach a case of another room only if the policy names them."""

from __future__ import annotations

from bot.context import Context, caller_named, unknown_why
from bot.entitlement import Known
from bot.errors import PlatformError
from bot.outcome import Refusal, Refused
from bot.replies import failures, refusals
from bot.reply import Reply
from bot.store import AuditRow


async def recorded_case(ctx: Context, number: int) -> AuditRow | Refused:
    """Case ``number`` as recorded, or the refusal that there is none."""
    rows = await ctx.cases.audit(case=number)
    return rows[0] if rows else Refused(Refusal.MALFORMED, refusals.no_such_case(number))


async def refused_elsewhere(ctx: Context, command: str, elsewhere: Reply) -> Refused | None:
    """For a case of another room: None if ``command``'s policy names the caller; otherwise
    the refusal, ``elsewhere`` and why the caller could not be told apart if so (fail closed:
    a failed look-up refuses too)."""
    try:
        known = await caller_named(ctx, command)
    except PlatformError as err:
        return Refused(Refusal.PLATFORM, failures.lookup_failed(err))
    if known is not Known.NAMED:
        return Refused(Refusal.NOT_ENTITLED, elsewhere + unknown_why(ctx.platform, command, known))
    return None
