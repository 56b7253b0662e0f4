"""/offboard @user [reason…] [--ib-group <group>]… [--dry-run]: remove one person from every room
the bot can act in where they are a member, and from the named IB groups (Symphony).

``--platform all`` (with an e-mail address): from every room on every platform the app serves,
as one case (``handlers/offboard_everywhere.py``). Each room is handled by
``handlers/offboard_rooms.py``.
"""

from __future__ import annotations

from functools import partial

from bot.call import Call
from bot.commands import Command
from bot.errors import PlatformError
from bot.grammar import Flag, Grammar, Option, Rest, Targets
from bot.lost_answers import ib_confirmed
from bot.model import UserRef
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.platform import SupportsIbGroups, SupportsUserRooms
from bot.replies import ib_groups
from bot.replies import offboard as sentences
from bot.services import HasEffects, Step
from bot.undo_steps import IbReadd, Readd
from handlers.offboard_everywhere import everywhere, finds_its_targets
from handlers.offboard_rooms import IB_SCOPE, leave_room, rooms_of


async def offboard(call: Call) -> Outcome:
    asked = call.asked
    parsed = asked.parsed
    if parsed.values.get("platform"):
        return await everywhere(call)
    platform = call.room.platform
    assert isinstance(platform, SupportsUserRooms)  # Command.requires checked it
    if len(parsed.targets) != 1:
        return Refused(Refusal.MALFORMED, sentences.offboard_one_person(len(parsed.targets)))
    groups = parsed.values.get("ib-group", ())
    if groups and not isinstance(platform, SupportsIbGroups):
        return Refused(Refusal.UNSUPPORTED, sentences.offboard_no_ib_groups(platform.name))
    if not asked.targets:  # unknown, protected or outranking: the dispatcher has said why
        return Report(())
    (user,) = asked.targets
    if user.id == asked.caller.id:
        return Refused(Refusal.MALFORMED, sentences.offboard_self())
    try:
        rooms = await rooms_of(call, platform, user)
    except PlatformError as err:
        return Refused(Refusal.PLATFORM, sentences.offboard_rooms_failed(user, err))
    await call.effects.expect(len(rooms) + len(groups))
    steps: list[Step] = []
    for info in rooms:
        in_room = call.in_room(info)
        steps.append((in_room, user, partial(leave_room, in_room, user)))
    for group in groups:
        assert isinstance(platform, SupportsIbGroups)
        in_group = call.scoped(IB_SCOPE + group)
        steps.append((in_group, user, partial(_leave_group, in_group, platform, user, group)))
    items, cancelled = await call.effects.settle(steps)
    if cancelled:
        stopped = sentences.offboard_cancelled(user, items, len(steps))
        return Report(tuple(items), (stopped,))
    headline = sentences.offboard_headline(user, len(rooms), len(groups), items)
    return Report(tuple(items), (headline,))


async def _leave_group(
    call: HasEffects, platform: SupportsIbGroups, user: UserRef, group: str
) -> ItemResult:
    try:
        if user.id in await platform.deactivated_users([user]):
            return ItemResult(user, Status.REFUSED, ib_groups.ib_deactivated(user))
        removal = partial(  # an answer lost: the group decides
            ib_confirmed,
            platform,
            lambda: platform.remove_from_ib_group(group, [user]),
            group,
            [user],
            removing=True,
        )
        answer = await call.effects.change(removal, user)
    except PlatformError as err:
        line = sentences.offboard_ib_failed(user, group, err)
        return ItemResult(user, Status.FAILED, line, err.response or err.detail)
    if answer is None:  # a dry run: nothing was called
        return ItemResult(user, Status.PLANNED, ib_groups.would_ib_remove(user, group))
    (message,), raw = answer
    if message:
        return ItemResult(user, Status.FAILED, ib_groups.ib_refused(user, message), raw)
    undo = IbReadd(group, user.id)
    return ItemResult(user, Status.DONE, ib_groups.ib_removed(user, group), raw, undo)


COMMAND = Command(
    name="offboard",
    summary="remove one person from every room the bot can act in (and IB groups)",
    grammar=Grammar(
        (Targets("user", one=True), Rest("reason")),
        (
            Flag("dry-run"),
            Option("ib-group", "group"),
            Option("platform", "all"),
            Option("at", "time"),
        ),
    ),
    run=offboard,
    undo_steps=(Readd, IbReadd),
    needs_room=False,
    requires=SupportsUserRooms,
    fans_out=True,
    finds_targets=finds_its_targets,
)
