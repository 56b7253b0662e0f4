"""Rocket.Chat: its REST API over httpx, outgoing webhooks in (``adapter``)."""

from bot.plugin import declare

PLUGIN = declare(
    __name__,
    "Rocket.Chat",
    ".adapter:RocketChatPlatform",
    ".config:RocketChatConfig",
    ("httpx", "aiohttp", "aiolimiter"),
)
