"""Matrix: matrix-nio's client-server API (``adapter``)."""

from bot.plugin import declare

PLUGIN = declare(
    __name__,
    "Matrix",
    ".adapter:MatrixPlatform",
    ".state:MatrixSettings",
    ("nio", "aiohttp"),
    rank_order="power levels",
)
