"""The policy step: may this caller run this command here? Decided before any state change.

First from who is asking alone (``let_through``: no platform call, so a caller the static policy
refuses causes none; it also decides whether a command's first lookups may begin early); then
with the policy's e-mail entries resolved against the platform's users (``admit``: read-only
lookups); a rule that needs a room owner is decided in the room step (``as_owner``), once the
caller's role there is known.
"""

from __future__ import annotations

from bot.entitlement import (
    Decision,
    Known,
    Policy,
    Verdict,
    decide,
    decide_resolved,
    decide_static,
    is_email,
)
from bot.model import Invocation, UserRef
from bot.outcome import Refusal, Refused
from bot.pipeline.desk import Desk
from bot.pipeline.parse import Understood
from bot.pipeline.resolve import email_access
from bot.platform import Platform
from bot.replies import refusals
from bot.reply import Reply


def let_through(
    policy: Policy, asked: Understood, inv: Invocation, platform: Platform
) -> Refused | Decision:
    """The static policy's decision, from who is asking alone (no platform call)."""
    command, name = asked.command, asked.name
    if command.requires is not None and not isinstance(platform, command.requires):
        why = platform.unsupported.get(command.requires)
        return Refused(Refusal.UNSUPPORTED, refusals.unsupported(name, platform.name, why))
    static = decide_static(policy, name, inv.caller)
    if static.verdict is Verdict.NOT_NAMED and _may_be_named(policy, name, inv.caller):
        return static  # decided once the e-mail entries are resolved (``admit``)
    if static.verdict in (Verdict.DENIED_LISTED, Verdict.NOT_NAMED):
        return Refused(Refusal.NOT_ENTITLED, refusals.not_entitled(name, static))
    return static


async def admit(
    desk: Desk, asked: Understood, inv: Invocation, platform: Platform
) -> Refused | Decision:
    """The decision with ``deny`` and the command's ``users`` resolved against the platform's
    users (read-only look-ups, only when the caller's e-mail address is not shown and the lists
    have e-mail entries). Raises PlatformError when a look-up fails."""
    policy, resolver = desk.policy, desk.resolver
    static = let_through(policy, asked, inv, platform)
    if isinstance(static, Refused):
        return static
    name, caller = asked.name, inv.caller
    deny = await resolver.resolve(platform, "deny", policy.deny, caller)
    users = await resolver.resolve(platform, "commands." + name, policy.rule(name).users, caller)
    decision = decide_resolved(policy, name, caller, deny, users)
    if decision.verdict is Verdict.IDENTITY_UNKNOWN:
        return Refused(Refusal.NOT_ENTITLED, identity_unknown(platform, name, decision))
    if decision.verdict in (Verdict.DENIED_LISTED, Verdict.NOT_NAMED):
        return Refused(Refusal.NOT_ENTITLED, refusals.not_entitled(name, decision))
    return decision


def as_owner(
    policy: Policy, name: str, caller: UserRef, decision: Decision, owner: bool, platform: Platform
) -> Refused | None:
    """For a rule that needs a room owner: the refusal if the caller is not one (None: let
    through). A caller who may be named by an e-mail the platform does not show is told so."""
    final = decide(policy, name, caller, owner)
    if not final.allowed and decision.via:  # maybe named, and not an owner
        unknown = Decision(Verdict.IDENTITY_UNKNOWN, decision.via)
        return Refused(Refusal.NOT_ENTITLED, identity_unknown(platform, name, unknown))
    if not final.allowed:
        return Refused(Refusal.NOT_ENTITLED, refusals.not_entitled(name, final))
    return None


async def caller_named(desk: Desk, platform: Platform, caller: UserRef, command: str) -> Known:
    """Whether ``caller`` is named in ``command``'s policy users, resolved as ``admit`` resolves
    them (``Checks.named``: /case and /undo of another room's case). Raises PlatformError when
    a look-up fails."""
    entries = desk.policy.rule(command).users
    users = await desk.resolver.resolve(platform, "commands." + command, entries, caller)
    return users.match(caller)


def identity_unknown(platform: Platform, command: str, decision: Decision) -> Reply:
    return refusals.identity_unknown(command, decision.via, platform.name, email_access(platform))


def _may_be_named(policy: Policy, command: str, caller: UserRef) -> bool:
    """Whether the command's rule has e-mail entries the caller may be, though the platform
    did not show their e-mail address (only its user records can tell)."""
    return not caller.email and any(is_email(u) for u in policy.rule(command).users)
