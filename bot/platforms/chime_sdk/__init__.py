"""Amazon Chime SDK messaging: channels of an AppInstance, the bot an AppInstanceUser whose ARN
is the bearer of every call (botocore's own clients); commands in through the messaging session."""

from bot.plugin import Plugin

PLUGIN = Plugin(
    name="chime_sdk",
    display_name="Amazon Chime SDK",
    factory="bot.platforms.chime_sdk.adapter:ChimeSdkPlatform",
    settings_model="bot.platforms.chime_sdk.config:ChimeSdkSettings",
    demo="bot.testing.chime_sdk.demo",
    extra="chime_sdk",
    sdk_modules=("botocore",),
    section_description="Amazon Chime SDK messaging: the AppInstance, the bot's AppInstanceUser",
)
