"""The ``rocketchat:`` section of kickbot's config file, validated at load (unknown keys are errors
that name the key); the secrets may come from the environment instead of the file."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot import errors
from bot.platforms.inbound import ListenPath
from bot.platforms.rocketchat.http import RestSettings

ENV_SECRETS = {
    "user_id": "ROCKETCHAT_USER_ID",
    "auth_token": "ROCKETCHAT_AUTH_TOKEN",
    "webhook_token": "ROCKETCHAT_WEBHOOK_TOKEN",
}
_TRIGGER = re.compile(r"^([^\w\s@#/]{1,3})kick$")


class RocketChatConfig(BaseModel):
    """The ``rocketchat:`` section of kickbot's config file."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the server's base URL, e.g. https://chat.example.com")
    user_id: str = Field(min_length=1, description="the bot user's id (X-User-Id)")
    auth_token: SecretStr = Field(description="the bot user's personal access token")
    webhook_token: SecretStr = Field(description="the outgoing webhook integration's token")
    trigger: str = Field(
        "!kick", description="the command word; its leading symbol(s) prefix every command"
    )
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(8090, ge=0, le=65535, description="0: any free port (tests)")
    path: ListenPath = "/rocketchat"
    rate_limit_calls: int = Field(10, ge=0, description="calls per endpoint per window; 0 = off")
    rate_limit_seconds: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10, description="retries after a 429 or a failed GET")
    max_wait_seconds: float = Field(90.0, ge=0, description="longest wait for a rate-limit reset")
    timeout_seconds: float = Field(10.0, gt=0)
    max_connections: int = Field(10, ge=1)
    cache_seconds: float = Field(30.0, ge=0, description="how long user look-ups are reused")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be the server's http(s) base URL, e.g. https://chat.example.com")
        return value.rstrip("/")

    @field_validator("auth_token", "webhook_token")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @field_validator("trigger")
    @classmethod
    def _trigger(cls, value: str) -> str:
        if value.startswith("/"):
            raise ValueError("Rocket.Chat owns /kick (a built-in command): use e.g. !kick")
        if not _TRIGGER.match(value):
            raise ValueError("must be one to three symbols followed by 'kick', e.g. !kick or .kick")
        return value

    @property
    def prefix(self) -> str:
        return self.trigger[: -len("kick")]

    def rest(self) -> RestSettings:
        return RestSettings(
            url=self.url,
            user_id=self.user_id,
            auth_token=self.auth_token.get_secret_value(),
            rate_limit_calls=self.rate_limit_calls,
            rate_limit_seconds=self.rate_limit_seconds,
            max_retries=self.max_retries,
            max_wait_seconds=self.max_wait_seconds,
            timeout_seconds=self.timeout_seconds,
            max_connections=self.max_connections,
        )


def parse_config(section: Mapping[str, Any]) -> RocketChatConfig:
    """Validate the section; secrets missing from it are read from the environment."""
    if not isinstance(section, Mapping):
        raise errors.ConfigError("rocketchat: must be a mapping of settings")
    data = dict(section)
    for key, var in ENV_SECRETS.items():
        if data.get(key) in (None, "") and os.environ.get(var):
            data[key] = os.environ[var]
        elif data.get(key) is None:
            data.pop(key, None)  # reported as missing, with the variable that may hold it
    try:
        return RocketChatConfig.model_validate(data)
    except ValidationError as exc:
        raise errors.ConfigError(*_problems(exc)) from None


def _problems(exc: ValidationError) -> list[str]:
    msgs = []
    for err in exc.errors():
        key = "rocketchat." + ".".join(str(x) for x in err["loc"])
        field = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            msgs.append(f"{key}: unknown key")
        elif err["type"] == "missing" and field in ENV_SECRETS:
            msgs.append(f"{key}: required (in the file or as {ENV_SECRETS[field]})")
        else:
            msgs.append(f"{key}: {err['msg'].removeprefix('Value error, ')}")
    return msgs
