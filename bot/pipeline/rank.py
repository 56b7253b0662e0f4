"""The rank step: nobody acts on someone who outranks or equals them.

Ranks come from the policy (``ranks``, lowest first, above them room owners); where the
platform grades owners itself (Matrix power levels), its order decides between owners. A target
whose rank cannot be established is refused, never acted on. The same check guards ``/undo``
(``may_reverse``, lent to handlers as ``Checks.reversal``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import Context
from bot.entitlement import (
    OWNER_RANK,
    Known,
    is_named,
    may_act_on,
    owners_may_act_on_owners,
    rank_of,
)
from bot.errors import PlatformError
from bot.model import UserRef
from bot.outcome import ItemResult, Status
from bot.pipeline.desk import Desk
from bot.pipeline.parse import Understood
from bot.pipeline.resolve import email_access
from bot.pipeline.targets import Chosen, resolved
from bot.platform import SupportsRank
from bot.replies import untouched
from bot.reply import Line


async def ranked(desk: Desk, ctx: Context, asked: Understood, chosen: Chosen) -> Chosen:
    """``chosen`` with the targets the caller may not act on set aside (a command that
    changes something). Raises PlatformError when the caller's own rank is unknown: then it
    acts on nobody."""
    command = asked.command
    if not command.mutates or not chosen.targets:
        return chosen
    on_owners = owners_may_act_on_owners(desk.policy, asked.name, command.owners_act_on_owners)
    refused = await outranked(desk, ctx, chosen.targets, chosen.early, owners_on_owners=on_owners)
    return chosen.set_aside(refused)


async def screened(
    desk: Desk, asked: Understood, ctx: Context, people: Sequence[UserRef]
) -> list[ItemResult]:
    """Of ``people``, found by a handler on ``ctx``'s platform, those set aside as the targets
    step and this one set them aside: protected, or outranking the caller (``Checks.screen``).
    Raises PlatformError when a check cannot be made."""
    _, early = await resolved(desk, ctx.platform, people)
    on_owners = owners_may_act_on_owners(
        desk.policy, asked.name, asked.command.owners_act_on_owners
    )
    return [*early, *await outranked(desk, ctx, people, early, owners_on_owners=on_owners)]


async def outranked(
    desk: Desk,
    ctx: Context,
    targets: Sequence[UserRef],
    early: Sequence[ItemResult],
    *,
    owners_on_owners: bool | None = None,
) -> list[ItemResult]:
    """Refuse targets who outrank or equal the caller; a target whose rank cannot be
    established is refused too (never act on an unknown rank). ``owners_on_owners``:
    whether this command lets a room owner act on a co-owner (None: the policy's)."""
    platform, policy = ctx.platform, desk.policy
    caller = ctx.invocation.caller
    in_room = ctx.room is not None
    settled = {i.target.id for i in early}
    if in_room:
        ctx.look_up_owners(t for t in targets if t.id not in settled and t.id != caller.id)
    ranks = await desk.resolver.ranks(platform)
    rank_ids = [set(r.ids) for r in ranks]
    mine = rank_of(policy, caller, rank_ids, in_room and await ctx.caller_is_owner())
    refused = []
    for target in targets:
        if target.id in settled or target.id == caller.id:
            continue
        try:
            owner = in_room and await ctx.is_owner(target)
            theirs = rank_of(policy, target, rank_ids, owner)
            # A rank above the one found that may name them by an e-mail the platform
            # does not let match: their rank is not known, so they are not touched.
            doubt = next(
                (
                    level
                    for level, r in enumerate(ranks[: theirs.level])
                    if r.match(target) is Known.UNKNOWN
                ),
                None,
            )
            # Owners graded by the platform (Matrix power levels): its order decides.
            graded = isinstance(platform, SupportsRank) and mine.name == theirs.name == OWNER_RANK
            below = False
            if graded and isinstance(platform, SupportsRank):
                below = not await platform.outranks(ctx.acting_room, caller, target)
        except PlatformError as err:
            refused.append(ItemResult(target, Status.REFUSED, untouched.rank_unknown(target, err)))
            continue
        if doubt is not None:
            line = untouched.target_identity_unknown(
                target,
                f"policy.ranks ({policy.ranks[doubt].name})",
                platform.name,
                email_access(platform),
            )
            refused.append(ItemResult(target, Status.REFUSED, line))
            continue
        if graded:
            if below:
                line = untouched.outranked_in_room(target)
                refused.append(ItemResult(target, Status.REFUSED, line))
            continue
        if not may_act_on(policy, mine, theirs, in_room=in_room, owners_on_owners=owners_on_owners):
            line = untouched.outranked(target, mine.name, theirs.name)
            refused.append(ItemResult(target, Status.REFUSED, line))
    return refused


async def may_reverse(
    desk: Desk, command: str, ctx: Context, actor: UserRef, target: UserRef
) -> Line | None:
    """Why the caller may not reverse, in ``ctx``'s room, the change ``actor`` made for
    ``target`` (None: they may). As for the original command: the caller must be able to
    act on the target now (``outranked``); and the caller never reverses the act of
    someone who outranks them, unless the rule of ``command`` (the one reversing) names the
    caller. ``ctx.room`` None: not about a room (IB groups, offboarding): named ranks only.
    Raises PlatformError when a rank cannot be established."""
    platform, policy = ctx.platform, desk.policy
    refused = await outranked(desk, ctx, [target], [])
    if refused:
        return refused[0].line
    caller = ctx.invocation.caller
    if actor.id == caller.id or is_named(policy.rule(command).users, caller):
        return None
    in_room = ctx.room is not None
    rank_ids = await desk.resolver.rank_ids(platform)
    mine = rank_of(policy, caller, rank_ids, in_room and await ctx.caller_is_owner())
    theirs = rank_of(policy, actor, rank_ids, in_room and await ctx.is_owner(actor))
    graded = isinstance(platform, SupportsRank) and mine.name == theirs.name == OWNER_RANK
    if in_room and graded and isinstance(platform, SupportsRank):
        # Owners graded by the platform (Matrix power levels): its order decides.
        if await platform.outranks(ctx.acting_room, actor, caller):
            return untouched.undo_outranked_in_room(actor, command)
        return None
    if theirs.level < mine.level:
        return untouched.undo_outranked(actor, mine.name, theirs.name, command)
    return None
