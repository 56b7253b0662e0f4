"""`kickbot run --config FILE` as a real process on Slack (Socket Mode: no port to publish)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import yaml

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, DESK, POLICY, kicks, slack_section


async def test_run_in_socket_mode_serves_and_stops_on_sigterm(
    slack: SlackWorkspace, tmp_path: Path
) -> None:
    config = tmp_path / "kickbot.yaml"
    data = {"store": f"sqlite:///{tmp_path}/k.db", "policy": POLICY}
    config.write_text(yaml.safe_dump({**data, "slack": slack_section(slack, "socket")}))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await slack.socket.wait_connected(timeout=60)
        envelope = await slack.socket.send(
            "slash_commands", slack.slash_command(ALICE, DESK, "@bob")
        )
        await slack.socket.wait_for_ack(envelope, timeout=30)
        reply = await slack.next_message(DESK, timeout=30)
        assert "Removed @Bob Member." in reply.plain
        assert kicks(slack) == [{"channel": DESK, "user": BOB}]
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, output.decode()
        assert b"slack connected" in output
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
