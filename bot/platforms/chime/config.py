"""The ``chime:`` config section, validated at load; errors name the key (``chime.path: …``)."""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.errors import ConfigError
from bot.platforms.inbound import ListenPath
from bot.platforms.urls import base_url

TOKEN_ENV = "CHIME_BOT_SECURITY_TOKEN"
DEFAULT_ENDPOINT = "https://chime.us-east-1.amazonaws.com"


class ChimeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str = Field(min_length=1, description="the Amazon Chime (Enterprise) account id")
    endpoint_url: Annotated[str, base_url("must be an http(s) URL")] = Field(
        DEFAULT_ENDPOINT, description="the Chime API endpoint"
    )
    region: str = Field("us-east-1", min_length=1, description="SigV4 signing region")
    profile: str | None = Field(
        None, description="AWS profile; unset: botocore's usual chain (environment, files, role)"
    )
    bot_id: str = Field(min_length=1, description="BotId from CreateBot: the bot's member id")
    bot_email: str = Field(min_length=3, description="BotEmail from CreateBot")
    bot_display_name: str = Field("kickbot", min_length=1, description="DisplayName from CreateBot")
    bot_security_token: SecretStr | None = Field(
        None, description=f"SecurityToken from CreateBot (or the {TOKEN_ENV} variable)"
    )
    listen_host: str = Field("127.0.0.1", description="where kickbot serves the events endpoint")
    listen_port: int = Field(8080, ge=0, le=65535, description="0: any free port")
    path: ListenPath = Field("/chime", description="path of the outbound HTTPS endpoint")
    max_clock_skew_seconds: float = Field(
        300.0, gt=0, le=900, description="events whose Chime-Request-Timestamp is older: refused"
    )
    resolve_timeout_seconds: float = Field(
        1.2, gt=0, lt=2.0, description="budget to map the sender to a member id (Chime waits 2 s)"
    )
    roster_ttl_seconds: float = Field(
        30.0, ge=0, description="how long a room's member list is reused to read events"
    )
    members_reuse_seconds: float = Field(
        2.0,
        ge=0,
        le=2.0,
        description="a member list read for an event's sender serves its command if this fresh"
        " (0: the command reads its own)",
    )
    page_size: int = Field(99, ge=1, le=99, description="ListRoomMemberships max-results")
    timeout_seconds: float = Field(10.0, gt=0, description="per HTTP request")
    retry_attempts: int = Field(5, ge=1, le=10, description="tries per call on 429/503")
    retry_initial_seconds: float = Field(0.5, gt=0, description="first backoff without a hint")
    retry_max_wait_seconds: float = Field(20.0, gt=0, description="longest single wait")
    reply_interval_seconds: float = Field(
        1.1, ge=1.0, description="pace of replies per room (webhooks allow 1 per second)"
    )

    @field_validator("bot_email")
    @classmethod
    def _email(cls, value: str) -> str:
        local, at, domain = value.partition("@")
        if not (local and at and "." in domain):
            raise ValueError("must be an e-mail address (BotEmail from CreateBot)")
        return value.lower()

    @property
    def token(self) -> str:
        assert self.bot_security_token is not None, "checked by load_settings"
        return self.bot_security_token.get_secret_value()


def load_settings(section: dict[str, Any]) -> ChimeSettings:
    data = dict(section)
    if data.get("bot_security_token") in (None, "") and os.environ.get(TOKEN_ENV):
        data["bot_security_token"] = os.environ[TOKEN_ENV]
    no_token = f"chime.bot_security_token: required (or set {TOKEN_ENV})"
    try:
        settings = ChimeSettings.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
        if not data.get("bot_security_token"):
            problems.append(no_token)
        raise ConfigError(*problems) from None
    if settings.bot_security_token is None or not settings.token:
        raise ConfigError(no_token)
    return settings


def _problems(exc: ValidationError) -> list[str]:
    msgs = []
    for err in exc.errors():
        key = ".".join(["chime", *(str(x) for x in err["loc"])])
        if err["type"] == "extra_forbidden":
            msgs.append(f"{key}: unknown key")
        elif err["type"] == "missing":
            msgs.append(f"{key}: required")
        else:
            msgs.append(f"{key}: {err['msg']}")
    return msgs
