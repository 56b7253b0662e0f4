"""Amazon Chime SDK messaging: channels of an AppInstance, the bot an AppInstanceUser whose ARN
is the bearer of every call (botocore's own clients); commands in through the messaging session."""

from bot.plugin import declare

PLUGIN = declare(
    __name__,
    "Amazon Chime SDK",
    ".adapter:ChimeSdkPlatform",
    ".config:ChimeSdkSettings",
    ("botocore",),
    section_description="Amazon Chime SDK messaging: the AppInstance, the bot's AppInstanceUser",
)
