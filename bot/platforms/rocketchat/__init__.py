"""Rocket.Chat: its REST API over httpx, outgoing webhooks in (``adapter``)."""

from bot.plugin import Plugin

PLUGIN = Plugin(
    name="rocketchat",
    display_name="Rocket.Chat",
    factory="bot.platforms.rocketchat.adapter:RocketChatPlatform",
    settings_model="bot.platforms.rocketchat.config:RocketChatConfig",
    demo="bot.testing.rocketchat.demo",
    extra="rocketchat",
    sdk_modules=("httpx", "aiohttp", "aiolimiter"),
)
