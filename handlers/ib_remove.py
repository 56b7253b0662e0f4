"""/ib-remove <group-id> @user [@user …]: remove users from an Information Barrier group.

One bulk call; the platform answers with one message per user in submitted order, "" meaning
removed. Deactivated accounts are set aside first: the API cannot remove them.
"""

from __future__ import annotations

from bot import replies
from bot.commands import Command, Context
from bot.errors import Forbidden, PlatformError
from bot.grammar import Arg, Grammar, Targets
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.platform import SupportsIbGroups


async def ib_remove(ctx: Context) -> Outcome:
    platform = ctx.platform
    assert isinstance(platform, SupportsIbGroups)  # Command.requires checked it
    group = ctx.parsed.words["group-id"]
    items: dict[str, ItemResult] = {}
    todo = []
    for target in ctx.targets:
        prev = await ctx.journal.previous(target)
        if prev is not None:
            items[target.id] = prev
        else:
            todo.append(target)
    try:
        inactive = await platform.deactivated_users(todo) if todo else set()
    except PlatformError as err:
        return Refused(Refusal.PLATFORM, replies.lookup_failed(err))
    for target in todo:
        if target.id in inactive:
            items[target.id] = ItemResult(target, Status.REFUSED, replies.ib_deactivated(target))
    send = [t for t in todo if t.id not in inactive]
    if send:
        try:
            results, raw = await platform.remove_from_ib_group(group, send)
        except Forbidden:
            return Refused(Refusal.PLATFORM, replies.ib_needs_provisioning(group))
        except PlatformError as err:
            return Refused(Refusal.PLATFORM, replies.ib_failed(group, err))
        for target, message in zip(send, results, strict=True):
            if message == "":
                undo = {"op": "ib-add", "group": group}
                items[target.id] = ItemResult(
                    target, Status.DONE, replies.ib_removed(target, group), raw, undo
                )
            else:
                items[target.id] = ItemResult(
                    target, Status.FAILED, replies.ib_refused(target, message), raw
                )
    for target in todo:
        await ctx.journal.record(items[target.id])
    return Report(tuple(items[t.id] for t in ctx.targets))


COMMAND = Command(
    name="ib-remove",
    summary="remove users from an Information Barrier group",
    grammar=Grammar((Arg("group-id"), Targets("user"))),
    run=ib_remove,
    needs_room=False,
    requires=SupportsIbGroups,
)
