"""The commands kickbot knows: one module each, one line here each."""

from bot.commands import Command
from handlers import (
    cancel,
    case,
    confirm,
    demote,
    help,
    ib_remove,
    jobs,
    kick,
    offboard,
    undo,
)

COMMANDS: tuple[Command, ...] = (
    kick.COMMAND,
    demote.COMMAND,
    ib_remove.COMMAND,
    offboard.COMMAND,
    undo.COMMAND,
    case.COMMAND,
    confirm.COMMAND,
    jobs.COMMAND,
    cancel.COMMAND,
    help.COMMAND,
)
