"""The ``chime_sdk:`` config section, validated at load; errors name the key
(``chime_sdk.bot_arn: …``), and an ARN of the wrong shape says which shape it must have."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import ConfigError

SECTION = "chime_sdk"
_ID = r"[A-Za-z0-9-]{1,64}"
USER_ID = r"[A-Za-z0-9](?:[A-Za-z0-9:\-_.@]{0,62}[A-Za-z0-9])?"
"""An AppInstanceUserId (the model's ``UserId`` pattern)."""
APP_INSTANCE = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):chime:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):"
    rf"(?P<account>\d{{12}}):app-instance/(?P<instance>{_ID})"
)
MEMBER = re.compile(APP_INSTANCE.pattern + rf"/(?P<kind>user|bot)/(?P<member>{USER_ID})")
APP_INSTANCE_SHAPE = "arn:aws:chime:<region>:<12-digit account>:app-instance/<id>"
USER_SHAPE = APP_INSTANCE_SHAPE + "/user/<AppInstanceUserId>"


class ChimeSdkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    app_instance_arn: str = Field(description="the AppInstance whose channels kickbot serves")
    bot_arn: str = Field(
        description="the bot's AppInstanceUser (the x-amz-chime-bearer of every call)"
    )
    region: str | None = Field(None, description="SigV4 signing region (default: the ARNs')")
    endpoint_url: str | None = Field(
        None,
        description="one endpoint for messaging and identity (tests); unset: AWS's own. An"
        " http:// endpoint means a ws:// messaging session",
    )
    profile: str | None = Field(
        None, description="AWS profile; unset: botocore's usual chain (environment, files, role)"
    )
    user_ids_are_emails: bool = Field(
        False,
        description="the AppInstanceUserIds are people's e-mail addresses: e-mail targets and"
        " the policy's e-mail entries find people by them",
    )
    page_size: int = Field(50, ge=1, le=50, description="max-results of every list call")
    timeout_seconds: float = Field(10.0, gt=0, description="per HTTP request")
    max_concurrent_calls: int = Field(8, ge=1, le=64, description="calls in flight at once")
    retry_attempts: int = Field(5, ge=1, le=10, description="tries per call on 429/503")
    retry_initial_seconds: float = Field(0.5, gt=0, description="first backoff without a hint")
    retry_max_wait_seconds: float = Field(20.0, gt=0, description="longest single wait")
    admins_ttl_seconds: float = Field(
        30.0, ge=0, description="how long the AppInstanceAdmins list (room owners) is reused"
    )
    members_reuse_seconds: float = Field(
        2.0, ge=0, le=10, description="a channel's moderators read this recently serve a lookup"
    )
    session_reconnect_initial_seconds: float = Field(
        1.0, gt=0, le=60, description="the messaging session's first wait before reconnecting"
    )
    session_reconnect_max_seconds: float = Field(
        30.0, gt=0, le=600, description="the longest wait between reconnection attempts"
    )
    session_positions_flush_seconds: float = Field(
        2.0, gt=0, le=300, description="how often read positions are saved to the store"
    )

    @model_validator(mode="after")
    def _arns(self) -> ChimeSdkSettings:
        instance = APP_INSTANCE.fullmatch(self.app_instance_arn)
        if instance is None:
            raise ValueError(
                f"app_instance_arn: {self.app_instance_arn!r} is not an AppInstance ARN"
                f" ({APP_INSTANCE_SHAPE})"
            )
        bot = MEMBER.fullmatch(self.bot_arn)
        if bot is None or bot["kind"] != "user":
            raise ValueError(
                f"bot_arn: {self.bot_arn!r} is not an AppInstanceUser ARN ({USER_SHAPE})"
            )
        if not self.bot_arn.startswith(self.app_instance_arn + "/"):
            raise ValueError(
                f"bot_arn: the user belongs to app-instance/{bot['instance']} in"
                f" {bot['region']}, not to app_instance_arn's app-instance/{instance['instance']}"
                f" in {instance['region']}"
            )
        if self.region is not None and self.region != instance["region"]:
            raise ValueError(
                f"region: {self.region!r}, but the AppInstance is in {instance['region']!r}"
            )
        if self.endpoint_url is not None and not self.endpoint_url.startswith(
            ("https://", "http://")
        ):
            raise ValueError(f"endpoint_url: {self.endpoint_url!r} is not an http(s) URL")
        return self

    @property
    def signing_region(self) -> str:
        found = APP_INSTANCE.fullmatch(self.app_instance_arn)
        assert found is not None, "checked at load"
        return self.region or found["region"]

    def member_arn(self, user_id: str) -> str:
        """The ARN of the AppInstanceUser ``user_id`` of this AppInstance."""
        return f"{self.app_instance_arn}/user/{user_id}"


def load_settings(section: dict[str, Any]) -> ChimeSdkSettings:
    try:
        return ChimeSdkSettings.model_validate(section)
    except ValidationError as exc:
        raise ConfigError(*_problems(exc)) from None


def _problems(exc: ValidationError) -> list[str]:
    msgs = []
    for err in exc.errors():
        key = ".".join([SECTION, *(str(x) for x in err["loc"])])
        if err["type"] == "extra_forbidden":
            msgs.append(f"{key}: unknown key")
        elif err["type"] == "missing":
            msgs.append(f"{key}: required")
        elif err["type"] == "value_error" and not err["loc"]:
            msgs.append(f"{SECTION}.{err['ctx']['error']!s}")
        else:
            msgs.append(f"{key}: {err['msg']}")
    return msgs
