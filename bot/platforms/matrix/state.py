"""The ``matrix:`` config section and the durable ``/sync`` position."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot import errors
from bot.files import read_if_present, replace_whole
from bot.platforms.matrix.text import USER_ID
from bot.platforms.urls import base_url

LOCAL_HTTP = "must start with https:// (or http:// for a local server)"


class MatrixSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    homeserver: Annotated[str, base_url(LOCAL_HTTP)] = Field(
        description="client-server API base URL, e.g. https://matrix.example"
    )
    user_id: str = Field(description="the bot account, e.g. @kickbot:example.org")
    access_token: SecretStr | None = None
    password: SecretStr | None = None
    device_id: str | None = Field(None, description="reuse this device (password login)")
    device_name: str = "kickbot"
    sync_token_file: Path = Field(
        description="where the /sync position is kept, so a restart neither misses nor replays"
    )
    sync_timeout_ms: int = Field(30_000, ge=0, le=300_000, description="/sync long-poll")
    timeline_limit: int = Field(
        50, ge=1, le=1000, description="events per room per /sync; older ones are fetched"
    )
    join_on_invite: bool = Field(True, description="accept room invites sent to the bot")
    rate_limit_retries: int = Field(
        8, ge=0, le=100, description="M_LIMIT_EXCEEDED retries (each after retry_after_ms)"
    )
    request_timeout: float = Field(30.0, gt=0, le=600)

    @field_validator("user_id")
    @classmethod
    def _user(cls, v: str) -> str:
        if not USER_ID.fullmatch(v):
            raise ValueError("must be a full Matrix user id like @kickbot:example.org")
        return v


def parse_section(section: Any) -> MatrixSettings:
    if not isinstance(section, dict):
        raise errors.ConfigError("matrix: must be a mapping of settings")
    one_login = "matrix.access_token: give exactly one of access_token or password"
    try:
        settings = MatrixSettings.model_validate(section)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"])
            what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            msgs.append(f"matrix.{key}: {what}")
        if bool(section.get("access_token")) == bool(section.get("password")):
            msgs.append(one_login)
        raise errors.ConfigError(*msgs) from None
    problems = []
    has_token = settings.access_token is not None and settings.access_token.get_secret_value()
    has_password = settings.password is not None and settings.password.get_secret_value()
    if bool(has_token) == bool(has_password):
        problems.append(one_login)
    problems += _sync_file_problems(settings)
    if problems:
        raise errors.ConfigError(*problems)
    return settings


def _sync_file_problems(s: MatrixSettings) -> list[str]:
    """The /sync position is read at start and written after each batch: the file must be
    readable if it is there, and its directory must exist or be creatable, and writable."""
    key = "matrix.sync_token_file"
    path = s.sync_token_file
    if path.exists():
        if not path.is_file():
            return [f"{key}: {path} is not a file"]
        try:
            SyncTokenFile(path, s.user_id, s.homeserver).load()
        except errors.ConfigError as exc:
            return list(exc.problems)
    directory = path.parent
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    if not directory.is_dir():
        return [f"{key}: {path}: {directory} is not a directory"]
    if not os.access(directory, os.W_OK | os.X_OK):
        return [f"{key}: {path}: cannot write in {directory}"]
    return []


class SyncTokenFile:
    """The last ``next_batch`` whose events are all recorded, tied to the account it is for.

    Written atomically (temp file, fsync, rename) only after every event of the batch was handed
    to the dispatcher, so a crash replays at most that batch (deduped by event id)."""

    def __init__(self, path: Path, user_id: str, homeserver: str):
        self.path = path
        self._who = {"user_id": user_id, "homeserver": homeserver}

    def load(self) -> str | None:
        text = read_if_present(self.path, f"matrix.sync_token_file: cannot read {self.path}")
        if text is None:
            return None
        try:
            data = json.loads(text)
            token = data["next_batch"]
            if not isinstance(token, str) or not token:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise errors.ConfigError(
                f"matrix.sync_token_file: {self.path} is not a kickbot sync position file; "
                "move it away to start from now on"
            ) from None
        if {k: data.get(k) for k in self._who} != self._who:
            return None  # another account or server: its position means nothing here
        return token

    def save(self, token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({**self._who, "next_batch": token})
        replace_whole(self.path, data, ".sync-", durable=True)
