"""A mistyped command addressed to kickbot gets a short answer with the nearest command and
/help; chat that merely starts with a slash word nobody would take for kickbot's stays
unanswered (Symphony: the rule of every platform whose messages all reach the bot). The rest:
the contract table (``test_a_typo_gets_the_nearest_command_and_help``, and with
mention_required ``test_with_mention_required_only_a_line_said_to_the_bot_is_run``)."""

from __future__ import annotations

from bot.dispatch import TYPO_CUTOFF, nearest_command
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, Room


async def test_the_answer_escapes_what_was_typed(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, "@kickbot /<b>kik</b>")
    # Shown as typed: as markup, the tags would be gone from the text.
    assert "/<b>kik</b> is not a command." in reply.text
    assert "&lt;b&gt;" in (reply.presentation_ml or "")


def test_what_counts_as_a_typo_of_a_command() -> None:
    known = ["kick", "demote", "undo", "case", "confirm", "jobs", "cancel", "help"]
    for typo, meant in [("kik", "kick"), ("kcik", "kick"), ("hlep", "help"), ("udno", "undo")]:
        assert nearest_command(typo, known, TYPO_CUTOFF) == meant
    for other in ("shrug", "mute", "hello", "kickban", "join", "me", "x" * 41):
        assert nearest_command(other, known, TYPO_CUTOFF) is None
    assert nearest_command("hello", known) == "help"  # addressed: a looser suggestion
