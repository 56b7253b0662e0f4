"""Slack: slack-bolt's AsyncApp over HTTP or Socket Mode (``adapter``)."""

from bot.plugin import declare

PLUGIN = declare(
    __name__,
    "Slack",
    ".adapter:SlackPlatform",
    ".config:SlackSettings",
    ("slack_bolt", "slack_sdk", "aiohttp", "aiolimiter"),
)
