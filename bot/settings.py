"""kickbot's configuration file, validated at load.

Every key is checked (unknown keys are errors that name the key); ``${VAR}`` in a string value
is replaced from the environment so secrets need not live in the file. Each platform's section
is validated by its adapter, so that only enabled platforms (and their SDKs) are imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from bot import schedule
from bot.entitlement import Policy
from bot.errors import ConfigError
from bot.ops.settings import HttpSettings
from bot.platforms import PLUGINS
from bot.scim.settings import ScimSettings
from bot.streaming.settings import AuditSink, unique_names

PLATFORM_SECTIONS = PLUGINS.names
"""The platforms' config sections, as the registry lists them."""


class NotifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    removed_users: bool = Field(False, description="send a removed person a direct message")
    contact: str | None = Field(None, description="who to contact, named in that message")


class PaceSettings(BaseModel):
    """A pace for rooms above a size, on one platform or all (``bulk.paces``)."""

    model_config = ConfigDict(extra="forbid")

    platform: str | None = Field(None, description="the platform it applies to (all when left out)")
    above_members: int = Field(ge=0, description="rooms with more members than this")
    interval_seconds: float = Field(ge=0, description="one state-changing call per this")

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str | None) -> str | None:
        if value is not None and value not in PLATFORM_SECTIONS:
            names = [repr(name) for name in PLATFORM_SECTIONS]
            expected = ", ".join(names[:-1]) + " or " + names[-1]
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            )
        return value


_SCHEDULE_CHECKS: dict[str, tuple[Callable[[str], object], str]] = {
    "timezone": (schedule.zone, "a known time zone (use a name like Europe/London)"),
    "working_hours": (schedule.parse_hours, "HH:MM-HH:MM"),
    "working_days": (schedule.parse_days, "a list of days such as mon-fri"),
}


class BulkSettings(BaseModel):
    """Commands with many targets, and jumbo rooms."""

    model_config = ConfigDict(extra="forbid")

    confirm_above: int = Field(
        5, ge=0, description="a command changing more targets than this waits for /confirm"
    )
    confirm_within_minutes: float = Field(
        10.0, ge=0, description="how long a plan waits for /confirm before it expires"
    )
    jumbo_members: int = Field(
        1000, ge=0, description="rooms with more members than this are paced"
    )
    jumbo_interval_seconds: float = Field(
        3.0, ge=0, description="one state-changing call per this many seconds in a jumbo room"
    )
    paces: list[PaceSettings] = Field(
        default_factory=list,
        description="more paces by platform and room size; the largest size a room is above"
        " wins, a platform's own rule over the general one",
    )
    progress_every_percent: float = Field(
        10.0, gt=0, le=100, description="a long command reports progress after this share"
    )
    progress_every_seconds: float = Field(
        60.0, ge=0, description="... and no more often than this (the rarer of the two wins)"
    )
    timezone: str = Field("UTC", description="time zone of --at times and of working hours")
    working_hours: str = Field(
        "08:00-18:00", description="a jumbo plan asked for within these hours says so"
    )
    working_days: str = Field("mon-fri", description="the days working_hours apply to")

    @field_validator("timezone", "working_hours", "working_days")
    @classmethod
    def _schedule(cls, value: str, info: ValidationInfo) -> str:
        check, expected = _SCHEDULE_CHECKS[info.field_name or ""]
        try:
            check(value)
        except Exception as exc:  # ZoneInfo's errors vary; BadTime for the others
            raise ValueError(f"{value!r} is not {expected}") from exc
        return value


class OffboardingSettings(BaseModel):
    """Offboarding on every platform at once (``--platform all``; docs/offboarding.md)."""

    model_config = ConfigDict(extra="forbid")

    identity_map: str | None = Field(
        None,
        description="a YAML or CSV file naming each person's id (by e-mail address) on the"
        " platforms that show no e-mail address",
    )
    retry_first_seconds: float = Field(
        5.0,
        gt=0,
        description="a platform that is down is tried again after this, then twice"
        " as long each time (at most 5 minutes)",
    )
    retry_for_minutes: float = Field(
        30.0, ge=0, description="how long a platform that is down is tried again (0: not)"
    )

    @field_validator("identity_map")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None:
            from bot.everywhere.identities import load

            try:
                load(value)
            except ConfigError as exc:
                raise ValueError("; ".join(exc.problems)) from None
        return value


class CoreSettings(BaseModel):
    """The settings of the core; ``Settings`` adds a section per platform."""

    model_config = ConfigDict(extra="forbid")

    store: str = Field("sqlite:///kickbot.db", description="database URL of the durable store")
    mention_required: bool = Field(
        False, description="commands must start with a mention of the bot"
    )
    lease_seconds: float = Field(
        300.0, ge=5.0, description="a running command not renewed this long is taken over"
    )
    audit_key: str | None = Field(
        None,
        description="HMAC key for the audit chain's links and pruning checkpoints (use ${VAR};"
        " else KICKBOT_AUDIT_KEY)",
    )
    audit_head_file: str | None = Field(
        None,
        description="a file that gets the audit chain's head (sequence number and hash) after"
        " each append, for `kickbot audit verify`: keep it where the store's users cannot write",
    )
    audit_retention_days: int | None = Field(
        None, ge=1, description="`kickbot audit prune` drops records older than this"
    )
    audit_sinks: list[AuditSink] = Field(
        default_factory=list,
        description="where each audit record is also sent, in order, once acknowledged:"
        " syslog (RFC 5424, CEF) or splunk_hec (docs/operations.md)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"
    policy: Policy = Field(default_factory=Policy)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    bulk: BulkSettings = Field(default_factory=BulkSettings)
    scim: ScimSettings | None = Field(
        None, description="serve SCIM 2.0 to identity providers (docs/scim.md)"
    )
    offboarding: OffboardingSettings = Field(default_factory=OffboardingSettings)
    http: HttpSettings | None = Field(
        None,
        description="serve /healthz, /readyz and /metrics for probes and Prometheus"
        " (docs/operations.md; the ops extra)",
    )

    @field_validator("audit_sinks")
    @classmethod
    def _sink_names(cls, sinks: list[AuditSink]) -> list[AuditSink]:
        return unique_names(sinks)

    def enabled_platforms(self) -> list[str]:
        return [p for p in PLATFORM_SECTIONS if getattr(self, p, None) is not None]


# Each platform's section is validated by its adapter (its package's factory), imported only
# if the section is set; here it is only a mapping.
_SECTIONS: dict[str, Any] = {
    plugin.name: (
        dict[str, Any] | None,
        Field(None, description=plugin.section_description or f"{plugin.display_name}'s settings"),
    )
    for plugin in PLUGINS
}

if TYPE_CHECKING:

    class Settings(CoreSettings):
        def __getattr__(self, name: str) -> dict[str, Any] | None: ...

else:
    Settings = create_model("Settings", __base__=CoreSettings, __module__=__name__, **_SECTIONS)


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(value: Any, where: str = "", unset: list[str] | None = None) -> Any:
    """``${VAR}`` replaced from the environment. An unset variable raises ``ConfigError``, or,
    given ``unset``, is recorded there as ``"KEY: environment variable VAR is not set"`` (the
    value keeps its ``${VAR}``) so that every one is reported at once."""
    if isinstance(value, dict):
        return {
            k: expand_env(v, f"{where}.{k}" if where else str(k), unset) for k, v in value.items()
        }
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{n}]", unset) for n, v in enumerate(value)]
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                problem = f"{where}: environment variable {name} is not set"
                if unset is None:
                    raise ConfigError(problem)
                unset.append(problem)
                return m.group(0)
            return os.environ[name]

        return _VAR.sub(sub, value)
    return value


@dataclass
class Parsed:
    """A config file's content checked as far as the core can: every problem found, each as
    ``KEY: what is wrong`` (without the file's name)."""

    data: dict[str, Any]
    """The settings as written, ``${VAR}`` expanded (the platforms' sections are checked by
    their adapters)."""
    settings: Settings | None
    problems: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)
    """Keys whose value names an unset environment variable (already among the problems)."""

    def concerns_unset(self, problem: str) -> bool:
        """Whether a problem is about a key whose value could not be read (an unset variable):
        its cause is already reported."""
        key = _dotted(problem.partition(": ")[0])
        return any(key == k or key.startswith(k + ".") for k in self.unset)


def _dotted(key: str) -> str:
    return re.sub(r"\[(\d+)\]", r".\1", key)


def check(data: Any, known_commands: Iterable[str]) -> Parsed:
    """Every problem of the core settings at once (unset variables, keys, values, commands)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return Parsed({}, None, ["the file must hold a mapping of settings"])
    unset: list[str] = []
    data = expand_env(data, unset=unset)
    parsed = Parsed(data, None, list(unset), [_dotted(u.partition(": ")[0]) for u in unset])
    try:
        parsed.settings = Settings.model_validate(data)
    except ValidationError as exc:
        parsed.problems += [p for p in _problems(exc) if not parsed.concerns_unset(p)]
    rules = data.get("policy", {}).get("commands") if isinstance(data.get("policy"), dict) else None
    if isinstance(rules, dict):
        known = sorted(known_commands)
        parsed.problems += [
            f"policy.commands.{name}: unknown command (known: {', '.join(known)})"
            for name in rules
            if name not in known
        ]
    if parsed.settings is not None and parsed.settings.scim is not None:
        enabled = parsed.settings.enabled_platforms()
        parsed.problems += [
            f"scim.report_rooms.{name}: {name} is not enabled in this file"
            for name in parsed.settings.scim.report_rooms
            if name not in enabled
        ]
    if parsed.problems:
        parsed.settings = None
    return parsed


def parse(data: Any, known_commands: Iterable[str], source: str = "config") -> Settings:
    parsed = check(data, known_commands)
    if parsed.settings is None:
        raise ConfigError(*(f"{source}: {p}" for p in parsed.problems))
    return parsed.settings


def load(path: str | Path, known_commands: Iterable[str]) -> Settings:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    return parse(data, known_commands, str(p))


def _problems(exc: ValidationError) -> list[str]:
    msgs = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            msgs.append(f"{key}: unknown key")
        else:
            msgs.append(f"{key}: {err['msg']}")
    return msgs
