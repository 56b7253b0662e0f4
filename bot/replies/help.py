"""``/help``'s sentences."""

from __future__ import annotations

from collections.abc import Sequence

from bot.reply import Code, Line, Reply, line


def help_lines(entries: Sequence[tuple[str, str, str, str]]) -> Reply:
    """``entries``: (usage, options, summary, how-allowed) for the commands this caller may
    use; options ("" for none) are a code span of their own after the usage."""
    lines: list[Line] = [line("Commands you may use here:")]
    for usage, options, summary, via in entries:
        shown = line(Code(usage), " ", Code(options)) if options else line(Code(usage))
        lines.append(line("• ", *shown, f" — {summary} ({via})" if via else f" — {summary}"))
    return tuple(lines)
