"""The Amazon Chime SDK messaging world of the contract table (see ``worlds.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tests import kit
from tests.chime_sdk import conftest as chime_sdk
from tests.contract import worlds as w
from tests.kit import SPINE_POLICY

CHIME_SDK_CALLS = {
    "remove": "DeleteChannelMembership",
    "add": "CreateChannelMembership",
    "demote": "DeleteChannelModerator",
    "promote": "CreateChannelModerator",
}


ERRORS = ("ServiceFailureException", "ForbiddenException")
"""A call's failure after acting, and its refusal before."""


@contextlib.asynccontextmanager
async def chime_sdk_world(start: w.Start) -> AsyncIterator[w.World]:
    """AppInstanceUserIds that are e-mail addresses (``user_ids_are_emails``), so that the
    policy's and the commands' addresses find people as on the other platforms."""
    ids = dict(chime_sdk.EMAIL) | {p: f"{p}@example.com" for p in w.EXTRA}
    double_of = kit.aws_double(chime_sdk.make_double(ids), start.monkeypatch, start.tmp_path)
    async with double_of as double:
        desk_arn = f"{double.app_instance_arn}/channel/desk"
        for p, display in w.EXTRA.items():
            double.channel(desk_arn).add(double.add_user(ids[p], display))
        names = {double.user_arn(uid): person for person, uid in ids.items()}
        names |= {uid: person for person, uid in ids.items()}  # a path's last segment
        names[double.bot] = "kickbot"
        section = double.config(user_ids_are_emails=True)
        app, platform = await chime_sdk.start_bot(
            start.settings("chime_sdk", section, SPINE_POLICY)
        )
        desk = chime_sdk.Channel(double, platform, "desk", ids)
        solo = chime_sdk.Channel(double, platform, "solo", ids)
        channel = double.channel(desk.arn)
        verbs = {call: change for change, call in CHIME_SDK_CALLS.items()}

        def changes() -> list[str]:
            made: list[str] = []
            for operation, params in double.state_changes():
                who = params.get("MemberArn") or params.get("ChannelModeratorArn")
                who = who or params["path"].rsplit("/", 1)[1]
                change = f"{verbs[operation]} {names.get(who, who)}"
                if made and change.startswith("demote") and made[-1] == "remove" + change[6:]:
                    continue  # a moderator's removal takes the role too: one change
                made.append(change)
            return made

        async def mention(person: str, text: str) -> str:
            return await desk.say(person, f"@kickbot {text}")

        async def post(person: str, text: str) -> w.Reply:
            await desk.send(person, text)
            return desk.reply

        typed = {p: f"@{uid}" for p, uid in ids.items()} | {"kickbot": "@kickbot"}

        def nook() -> str:
            double.operations.admins.add(double.bot)  # lists another user's channels
            double.add_channel("nook", "Nook", moderators=[double.user_arn(ids["bob"])])
            return "Nook"

        try:
            yield w.World(
                "chime_sdk",
                "/",
                typed | {"erin": ids["erin"]},
                typed,
                desk.say,
                lambda: {names.get(arn, arn) for arn in channel.members},
                changes,
                lambda: {names[arn] for arn in channel.moderators if arn != double.bot},
                knobs=w.aws_knobs(double, CHIME_SDK_CALLS, "DescribeChannel", *ERRORS),
                app=app,
                post=post,
                later=desk.reply,
                mention=mention,
                at_word_is_an_id=True,
                server=double,
                room_name="Trading Desk",
                solo=w.Solo(
                    solo.say,
                    lambda: {names.get(arn, arn) for arn in double.channel(solo.arn).members},
                ),
                nook=nook,
            )
        finally:
            await app.stop()
