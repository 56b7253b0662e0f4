"""Symphony: symphony-bdk-python's datafeed and stream services (``adapter``)."""

from bot.plugin import Plugin

PLUGIN = Plugin(
    name="symphony",
    display_name="Symphony",
    factory="bot.platforms.symphony.adapter:SymphonyPlatform",
    settings_model="symphony.bdk.core.config.model.bdk_config:BdkConfig",
    demo="bot.testing.symphony.demo",
    extra="symphony",
    sdk_modules=("symphony", "aiohttp"),
    section_description="symphony-bdk-python's own config keys, as in an existing BDK file",
)
