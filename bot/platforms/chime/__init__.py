"""Amazon Chime: the chat API signed with botocore, events in over HTTP (``adapter``)."""

from bot.plugin import declare

PLUGIN = declare(
    __name__,
    "Amazon Chime",
    ".adapter:ChimePlatform",
    ".config:ChimeSettings",
    ("botocore", "httpx", "aiohttp", "aiolimiter"),
)
