"""The targets step: who the command is about, and who is set aside before any call.

Mentions are named from the platform's own records (a mention's visible text is written by the
sender's client); a filter flag chooses people from the member list; e-mail targets are
resolved; unknown and protected people, and the caller where a command may not act on them,
are set aside with the reason, in the order given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from bot.context import Context
from bot.entitlement import Known, is_named
from bot.errors import PlatformError
from bot.grammar import EmailTarget
from bot.model import UserRef
from bot.outcome import ItemResult, Refusal, Refused, Status
from bot.pipeline.desk import Desk
from bot.pipeline.parse import Understood
from bot.pipeline.resolve import email_access
from bot.platform import Platform, SupportsExternalMembers, SupportsUserLookup
from bot.replies import refusals, untouched

log = structlog.get_logger(__name__)

FILTERS = ("external", "all-except-owners")
"""Flags that choose targets from the room's member list (``/kick --external``)."""


@dataclass(frozen=True, slots=True)
class Chosen:
    """A command's targets in the order given, and those set aside before any call."""

    targets: tuple[UserRef, ...]
    early: tuple[ItemResult, ...] = ()
    """Targets refused before any call (unknown, protected, the caller, outranking)."""
    filters: tuple[str, ...] = ()
    """The filter flags that chose some of them."""

    def set_aside(self, items: Sequence[ItemResult]) -> Chosen:
        return dataclasses.replace(self, early=(*self.early, *items))

    @property
    def remaining(self) -> tuple[UserRef, ...]:
        """The targets the handler acts on: those not set aside."""
        settled = {i.target.id for i in self.early}
        return tuple(t for t in self.targets if t.id not in settled)

    def merged(self, items: Sequence[ItemResult]) -> tuple[ItemResult, ...]:
        """``items`` with the set-aside targets' results, in the order the targets were given."""
        order = {t.id: n for n, t in enumerate(self.targets)}
        return tuple(sorted((*self.early, *items), key=lambda i: order.get(i.target.id, 0)))


async def choose(desk: Desk, ctx: Context, asked: Understood) -> Chosen | Refused:
    """The command's targets (raises PlatformError when a lookup fails)."""
    platform, parsed = ctx.platform, asked.parsed
    finds = asked.command.finds_targets
    if finds is not None and finds(parsed):
        return Chosen(())  # the handler finds them on each platform (``Checks.screen``)
    given = await named_by_platform(platform, parsed.targets)
    filters = [f for f in FILTERS if f in parsed.flags]
    if filters:
        if "external" in filters and not isinstance(platform, SupportsExternalMembers):
            cannot = refusals.filter_unsupported("external", platform.name)
            return Refused(Refusal.UNSUPPORTED, cannot)
        chosen = await filtered(ctx, filters)
        if not chosen and not given:
            return Refused(Refusal.MALFORMED, refusals.filter_matched_nobody(filters))
        given += chosen
    targets, early = await resolved(desk, platform, given)
    if asked.command.refuses_caller:
        early += yourself(asked.name, ctx.invocation.caller, targets, early)
    return Chosen(tuple(targets), tuple(early), tuple(filters))


async def named_by_platform(
    platform: Platform, given: Sequence[UserRef | EmailTarget]
) -> list[UserRef | EmailTarget]:
    """The mentioned targets as the platform records them: a mention's visible text is
    written by the sender's client ("@Frank Compliance" may carry Bob's id), so replies,
    the case and the audit trail name each target from the platform's record for its id.
    An id whose record the platform does not give keeps no name at all."""
    if not isinstance(platform, SupportsUserLookup):
        return list(given)  # its adapter names mentions from the platform already
    ids = [t.id for t in given if isinstance(t, UserRef)]
    try:
        records = await platform.users_by_id(ids) if ids else {}
    except PlatformError as err:  # named by id only; the checks ahead ask for themselves
        log.warning("could not read the mentioned users' records", error=str(err))
        records = {}
    return [(records.get(t.id) or UserRef(t.id)) if isinstance(t, UserRef) else t for t in given]


async def filtered(ctx: Context, filters: Sequence[str]) -> list[UserRef]:
    """The room's members a filter flag chooses (never the bot or the caller), in the
    member list's order."""
    members = await ctx.members()
    skip = {ctx.platform.bot_user.id, ctx.invocation.caller.id}
    chosen = [m for m in members.values() if m.user.id not in skip]
    if "all-except-owners" in filters:
        chosen = [m for m in chosen if not m.is_owner]
        # "Owners" as the rank check counts them: a platform's own sources of the rank
        # (Rocket.Chat's moderators and global admins, Slack's workspace owners) are spared too,
        # not only those the member list marks. A lookup that fails refuses the whole command.
        ctx.look_up_owners(m.user for m in chosen)
        owners = [await ctx.is_owner(m.user) for m in chosen]
        chosen = [m for m, owner in zip(chosen, owners, strict=True) if not owner]
    if "external" in filters and isinstance(ctx.platform, SupportsExternalMembers):
        external = await ctx.platform.external_members(ctx.invocation.room)
        chosen = [m for m in chosen if m.user.id in external]
    return [m.user for m in chosen]


async def resolved(
    desk: Desk, platform: Platform, given: Sequence[UserRef | EmailTarget]
) -> tuple[list[UserRef], list[ItemResult]]:
    """Resolve e-mail targets and set aside unknown and protected ones (in given order)."""
    emails = [t.email for t in given if isinstance(t, EmailTarget)]
    found = await platform.find_users_by_email(emails) if emails else {}
    protected = await desk.resolver.protected_ids(platform)
    shielded = await desk.resolver.protected(platform)
    targets: list[UserRef] = []
    early: list[ItemResult] = []
    seen: set[str] = set()
    for t in given:
        if isinstance(t, EmailTarget):
            user = found.get(t.email)
            if user is None:
                ghost = UserRef(id="email:" + t.email, email=t.email)
                targets.append(ghost)
                early.append(ItemResult(ghost, Status.REFUSED, untouched.unknown_email(t.email)))
                continue
        else:
            user = t
        if user.id in seen:
            continue
        seen.add(user.id)
        targets.append(user)
        if user.id in protected or is_named(desk.policy.protected_entries(), user):
            early.append(ItemResult(user, Status.REFUSED, untouched.protected(user)))
        elif shielded.match(user) is Known.UNKNOWN:  # may be a protected e-mail entry
            line = untouched.target_identity_unknown(
                user, "policy.protected", platform.name, email_access(platform)
            )
            early.append(ItemResult(user, Status.REFUSED, line))
    return targets, early


def yourself(
    command: str, caller: UserRef, targets: Sequence[UserRef], early: Sequence[ItemResult]
) -> list[ItemResult]:
    """The caller among a command's targets, refused before any call: a change to oneself
    that one could not undo (Slack's own API refuses it: ``cant_kick_self``)."""
    settled = {i.target.id for i in early}
    return [
        ItemResult(t, Status.REFUSED, untouched.not_yourself(command, t))
        for t in targets
        if t.id == caller.id and t.id not in settled
    ]
