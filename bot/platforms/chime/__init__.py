"""Amazon Chime: the chat API signed with botocore, events in over HTTP (``adapter``)."""

from bot.plugin import Plugin

PLUGIN = Plugin(
    name="chime",
    display_name="Amazon Chime",
    factory="bot.platforms.chime.adapter:ChimePlatform",
    settings_model="bot.platforms.chime.config:ChimeSettings",
    demo="bot.testing.chime.demo",
    extra="chime",
    sdk_modules=("botocore", "httpx", "aiohttp", "aiolimiter"),
)
