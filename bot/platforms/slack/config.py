"""The ``slack:`` section of kickbot's config, validated here so that only a Slack setup loads it.

Each secret may instead come from Bolt's usual environment variable (``SLACK_BOT_TOKEN``,
``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``) when the key is absent or empty.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bot.errors import ConfigError

ENV_VARS = {
    "bot_token": "SLACK_BOT_TOKEN",
    "signing_secret": "SLACK_SIGNING_SECRET",
    "app_token": "SLACK_APP_TOKEN",
}
EVENTS_PATH = "/slack/events"


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["socket", "http"] = Field(
        description="socket: Socket Mode (app-level token, no public URL); http: Events API"
    )
    bot_token: SecretStr = Field(description="the bot token, xoxb-…")
    signing_secret: SecretStr | None = Field(None, description="HTTP mode: the signing secret")
    app_token: SecretStr | None = Field(None, description="Socket Mode: the app token, xapp-…")
    api_base_url: str = Field(
        "https://slack.com/api/", description="Web API base URL (GovSlack, tests)"
    )
    listen_host: str = Field("0.0.0.0", description="HTTP mode: address to listen on")
    listen_port: int = Field(3000, ge=0, le=65535, description="HTTP mode: port (0: any free)")
    api_timeout_seconds: int = Field(10, ge=1, description="per Web API call")
    changes_per_minute: int = Field(
        50, ge=0, description="membership changes per minute (Tier 3: 50); 0 = no pacing"
    )


def load_settings(section: Any) -> SlackSettings:
    if not isinstance(section, dict):
        raise ConfigError("slack: must be a mapping of settings")
    data = dict(section)
    for key, var in ENV_VARS.items():
        if not data.get(key) and os.environ.get(var):
            data[key] = os.environ[var]
    try:
        settings = SlackSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(*_problems(exc)) from None
    problems = _check_all(settings)
    if problems:
        raise ConfigError(*problems)
    return settings


def _problems(exc: ValidationError) -> list[str]:
    msgs = []
    for err in exc.errors():
        key = "slack." + ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            msgs.append(f"{key}: unknown key")
        elif err["type"] == "missing" and key.removeprefix("slack.") in ENV_VARS:
            var = ENV_VARS[key.removeprefix("slack.")]
            msgs.append(f"{key}: required (or set {var})")
        else:
            msgs.append(f"{key}: {err['msg']}")
    return msgs


def _check_all(s: SlackSettings) -> list[str]:
    """Every problem of the values beyond their types, all at once."""
    problems = []
    if not s.bot_token.get_secret_value().startswith("xoxb-"):
        problems.append(
            "slack.bot_token: must be the app's bot token (xoxb-…, OAuth & Permissions page)"
        )
    if s.mode == "http" and not s.signing_secret:
        problems.append("slack.signing_secret: required in HTTP mode (or set SLACK_SIGNING_SECRET)")
    if s.mode == "socket":
        if not s.app_token:
            problems.append("slack.app_token: required in socket mode (or set SLACK_APP_TOKEN)")
        elif not s.app_token.get_secret_value().startswith("xapp-"):
            problems.append(
                "slack.app_token: must be an app-level token (xapp-…, with connections:write)"
            )
    if not s.api_base_url.startswith(("https://", "http://")):
        problems.append("slack.api_base_url: must be an http(s) URL")
    return problems


def api_base_url(s: SlackSettings) -> str:
    """slack_sdk joins method names to the base URL: it must end with a slash."""
    return s.api_base_url if s.api_base_url.endswith("/") else s.api_base_url + "/"
