"""Platform adapters, imported only when their section is in the config (SDKs are heavy)."""

from __future__ import annotations

import importlib
from typing import Any

from bot.platform import Platform

FACTORIES: dict[str, str] = {
    "symphony": "bot.platforms.symphony:SymphonyPlatform",
    "slack": "bot.platforms.slack:SlackPlatform",
    "rocketchat": "bot.platforms.rocketchat:RocketChatPlatform",
    "chime": "bot.platforms.chime:ChimePlatform",
    "matrix": "bot.platforms.matrix:MatrixPlatform",
}


def build(name: str, section: dict[str, Any]) -> Platform:
    module_name, _, attr = FACTORIES[name].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    platform: Platform = factory(section)
    return platform
