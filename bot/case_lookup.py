"""What the commands that take a case number (/case, /cancel, /undo) share: finding the case,
and letting a caller reach a case of another room only if the policy names them."""

from __future__ import annotations

from bot.entitlement import Known
from bot.errors import PlatformError
from bot.outcome import Refusal, Refused
from bot.replies import failures, refusals
from bot.reply import Reply
from bot.services import Cases, Checks
from bot.store import AuditRow


async def recorded_case(cases: Cases, number: int) -> AuditRow | Refused:
    """Case ``number`` as recorded, or the refusal that there is none."""
    rows = await cases.book.audit(case=number)
    return rows[0] if rows else Refused(Refusal.MALFORMED, refusals.no_such_case(number))


async def refused_elsewhere(checks: Checks, command: str, elsewhere: Reply) -> Refused | None:
    """For a case of another room: None if ``command``'s policy names the caller; otherwise
    the refusal, ``elsewhere`` and why the caller could not be told apart if so (fail closed:
    a failed look-up refuses too)."""
    try:
        known = await checks.named(command)
    except PlatformError as err:
        return Refused(Refusal.PLATFORM, failures.lookup_failed(err))
    if known is not Known.NAMED:
        return Refused(Refusal.NOT_ENTITLED, elsewhere + checks.unknown_why(command, known))
    return None
