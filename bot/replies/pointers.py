"""How a sentence points its reader to another command ("answer /confirm 12", "/case 12
shows them all"): every such pointer is spelled here, once, so no other sentence module names
a command but its own."""

from __future__ import annotations

from bot.reply import Code

HELP = "/help"
CASE = "/case"
CONFIRM = "/confirm"
CANCEL = "/cancel"
JOBS = "/jobs"
UNDO = "/undo"


def on_case(command: str, case: int | str) -> Code:
    """``command`` given a case, as the reader would type it: ``/confirm 12``."""
    return Code(f"{command} {case}")
