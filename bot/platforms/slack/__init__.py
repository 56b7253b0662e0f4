"""Slack: slack-bolt's AsyncApp over HTTP or Socket Mode (``adapter``)."""

from bot.plugin import Plugin

PLUGIN = Plugin(
    name="slack",
    display_name="Slack",
    factory="bot.platforms.slack.adapter:SlackPlatform",
    settings_model="bot.platforms.slack.config:SlackSettings",
    demo="bot.testing.slack.demo",
    extra="slack",
    sdk_modules=("slack_bolt", "slack_sdk", "aiohttp", "aiolimiter"),
)
