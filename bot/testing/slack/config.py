"""kickbot's ``slack:`` config section for a started ``SlackWorkspace``: the one the tests, the
demo and the benches point kickbot at."""

from __future__ import annotations

from typing import Any, Literal

from bot.testing.slack.workspace import SlackWorkspace

Mode = Literal["http", "socket"]


def kickbot_section(slack: SlackWorkspace, mode: Mode = "http") -> dict[str, Any]:
    """HTTP mode: signed requests to a Request URL on a free loopback port; Socket Mode: the
    double's websocket, through the app-level token."""
    section: dict[str, Any] = {
        "mode": mode,
        "bot_token": slack.bot_token,
        "api_base_url": slack.api_url,
    }
    if mode == "http":
        section |= {
            "signing_secret": slack.signing_secret,
            "listen_host": "127.0.0.1",
            "listen_port": 0,
        }
    else:
        section["app_token"] = slack.app_token
    return section
