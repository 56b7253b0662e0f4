"""The ``scim:`` section of the configuration (validated like every other key)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.platforms import PLUGINS

MIN_TOKEN = 32
"""A bearer token shorter than this is refused: it is the only thing between the network and
an offboarding of anyone."""

_CLIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOKEN = re.compile(r"^[!-~]+$")  # printable ASCII, no space (it travels in a header)


class ScimSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    listen_host: str = Field("127.0.0.1", description="address the SCIM server listens on")
    listen_port: int = Field(
        8095, ge=0, le=65535, description="port (served at http://HOST:PORT/scim/v2)"
    )
    public_url: str | None = Field(
        None,
        description="the base URL identity providers use, e.g. https://kickbot.example.com/"
        "scim/v2 (resources' meta.location); else the request's Host",
    )
    tokens: dict[str, str] = Field(
        description="client name -> bearer token (use ${VAR}); the client's offboardings are"
        " by scim:<client name>",
        min_length=1,
    )
    confirm_by: list[str] = Field(
        default_factory=list,
        description="empty: a SCIM offboarding runs at once; else these callers must /confirm",
    )
    report_rooms: dict[str, str] = Field(
        description="platform -> room that receives the report of SCIM offboardings; the"
        " case lives in the first: its plan is shown and confirmed there",
        min_length=1,
    )
    max_body_kib: int = Field(
        64, ge=1, le=1024, description="a larger request body is refused (413)"
    )

    @field_validator("tokens")
    @classmethod
    def _tokens(cls, tokens: dict[str, str]) -> dict[str, str]:
        for name, token in tokens.items():
            if not _CLIENT.match(name):
                raise ValueError(
                    f"client name {name!r}: letters, digits, '_', '.' and '-' only (64 at most)"
                )
            if not isinstance(token, str) or len(token) < MIN_TOKEN or not _TOKEN.match(token):
                raise ValueError(
                    f"the token of {name!r} must be at least {MIN_TOKEN} printable characters"
                    " without spaces (e.g. `openssl rand -hex 32`)"
                )
        if len(set(tokens.values())) != len(tokens):
            raise ValueError("two clients have the same token: give each its own")
        return tokens

    @field_validator("report_rooms")
    @classmethod
    def _platforms(cls, rooms: dict[str, str]) -> dict[str, str]:
        for name in rooms:
            if name not in PLUGINS.names:
                raise ValueError(f"{name!r} is not a platform (known: {', '.join(PLUGINS.names)})")
        return rooms
