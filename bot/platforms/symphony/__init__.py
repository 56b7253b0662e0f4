"""Symphony: symphony-bdk-python's datafeed and stream services (``adapter``)."""

from bot.plugin import declare

PLUGIN = declare(
    __name__,
    "Symphony",
    ".adapter:SymphonyPlatform",
    "symphony.bdk.core.config.model.bdk_config:BdkConfig",
    ("symphony", "aiohttp"),
    section_description="symphony-bdk-python's own config keys, as in an existing BDK file",
    working_hours_advice="Symphony advises changing rooms this size outside them",
    ib_groups=True,
)
