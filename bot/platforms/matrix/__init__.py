"""Matrix: matrix-nio's client-server API (``adapter``)."""

from bot.plugin import Plugin

PLUGIN = Plugin(
    name="matrix",
    display_name="Matrix",
    factory="bot.platforms.matrix.adapter:MatrixPlatform",
    settings_model="bot.platforms.matrix.state:MatrixSettings",
    demo="bot.testing.matrix.demo",
    extra="matrix",
    sdk_modules=("nio", "aiohttp"),
)
