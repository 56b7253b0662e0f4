"""The demos' shared prompt loop: a line whose delivery fails is one line of output and the demo
goes on; piped input is read without a thread (so nothing is left blocked when the demo ends)."""

from __future__ import annotations

import io
import os
import threading

from bot.testing.console import LineReader, repl


class Who:
    user = "alice"


async def test_a_failed_delivery_is_one_line_and_the_demo_goes_on() -> None:
    seen: list[str] = []

    async def handle(line: str) -> bool:
        seen.append(line.strip())
        if line.startswith("boom"):
            raise ConnectionRefusedError("the bot's endpoint is not listening")
        return True

    out = io.StringIO()
    await repl(io.StringIO("hello\nboom\nagain\n"), out, Who(), handle)
    assert seen == ["hello", "boom", "again"]
    text = out.getvalue()
    assert (
        "  (the demo could not deliver that line: ConnectionRefusedError: the bot's endpoint is"
        " not listening)" in text
    )
    assert "alice> again" in text


async def test_a_pipe_is_read_line_by_line_without_a_thread() -> None:
    read, write = os.pipe()
    before = threading.active_count()
    with os.fdopen(read, encoding="utf-8") as source:
        reader = LineReader(source)
        os.write(write, b"first line\nsecond ")
        assert await reader.readline() == "first line\n"
        os.write(write, "line, ünïcode\n".encode())
        os.close(write)
        assert await reader.readline() == "second line, ünïcode\n"
        assert await reader.readline() == ""
    assert threading.active_count() == before
