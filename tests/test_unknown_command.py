"""A mistyped command addressed to kickbot gets a short answer with the nearest command and
/help; chat that merely starts with a slash word nobody would take for kickbot's stays
unanswered (Symphony: the rule of every platform whose messages all reach the bot)."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.dispatch import TYPO_CUTOFF, nearest_command
from bot.model import Invocation
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, DESK, ConfigMaker, Room, running


def ignored_by(app: App) -> asyncio.Queue[Invocation]:
    """The messages the bot received and took as not for it, in order."""
    seen: asyncio.Queue[Invocation] = asyncio.Queue()
    assert app.dispatcher is not None
    app.dispatcher.on_ignored.append(seen.put_nowait)
    return seen


async def test_the_answer_escapes_what_was_typed(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, "@kickbot /<b>kik</b>")
    # Shown as typed: as markup, the tags would be gone from the text.
    assert "/<b>kik</b> is not a command." in reply.text
    assert "&lt;b&gt;" in (reply.presentation_ml or "")


async def test_with_mention_required_a_typo_needs_the_mention(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with running(pod, settings_for(mention_required=True)) as app:
        ignored = ignored_by(app)
        pod.say(ALICE, DESK, "/kik @bob")
        await asyncio.wait_for(ignored.get(), 20)
        pod.say(ALICE, DESK, "@kickbot /kik @bob")
        reply = await pod.next_message(DESK, timeout=20)
        assert "/kik is not a command. Did you mean /kick?" in reply.text


def test_what_counts_as_a_typo_of_a_command() -> None:
    known = ["kick", "demote", "undo", "case", "confirm", "jobs", "cancel", "help"]
    for typo, meant in [("kik", "kick"), ("kcik", "kick"), ("hlep", "help"), ("udno", "undo")]:
        assert nearest_command(typo, known, TYPO_CUTOFF) == meant
    for other in ("shrug", "mute", "hello", "kickban", "join", "me", "x" * 41):
        assert nearest_command(other, known, TYPO_CUTOFF) is None
    assert nearest_command("hello", known) == "help"  # addressed: a looser suggestion
