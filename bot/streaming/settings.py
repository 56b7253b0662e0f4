"""The ``audit_sinks:`` section: where the audit chain's records are streamed (syslog, Splunk's
HTTP Event Collector), validated like every other key. Only pydantic here: the senders (and
httpx, the ``stream`` extra) are imported when ``kickbot run`` streams."""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

STREAM_EXTRAS = ("stream",)
"""The extra Splunk HEC needs (httpx); syslog needs none."""

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
    "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13, "alert": 14,
    "clock": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
    "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
"""RFC 5424's facilities by their usual names (13: "log audit")."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PRINTUSASCII = re.compile(r"^[!-~]+$")
SinkName = Annotated[
    str,
    Field(
        pattern=_NAME.pattern,
        description="the sink's name: its position in the store and its metric's label",
    ),
]


def _readable(path: str | None) -> str | None:
    if path is not None and not os.access(path, os.R_OK):
        raise ValueError(f"cannot read {path}")
    return path


class _Sink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SinkName
    start_at: Literal["beginning", "end"] = Field(
        "beginning",
        description="a sink the store has never sent to gets every record kept (beginning),"
        " or only those appended from its first start on (end)",
    )
    batch_size: int = Field(100, ge=1, le=10_000, description="records sent at most at once")
    timeout_seconds: float = Field(10.0, gt=0, le=300, description="one send's time limit")
    retry_max_seconds: float = Field(
        60.0, ge=1, le=3600, description="a sink that is down is tried again at most this far apart"
    )
    refused_retry_seconds: float = Field(
        300.0,
        ge=1,
        le=86_400,
        description="a sink that refuses the records (a bad token, invalid data) is tried"
        " again this far apart: the records wait",
    )
    poll_seconds: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="records appended by another process (another instance, kickbot"
        " offboard) are looked for this often",
    )


class SyslogSink(_Sink):
    """RFC 5424 over UDP (RFC 5426), TCP (RFC 6587, octet counting) or TLS (RFC 5425), with a
    CEF message."""

    type: Literal["syslog"]
    host: str = Field(min_length=1, description="the syslog receiver")
    port: int | None = Field(
        None, ge=1, le=65535, description="its port (default: 6514 for tls, else 514)"
    )
    transport: Literal["udp", "tcp", "tls"] = Field(
        "tls", description="tls (the default; the receiver's certificate verified), tcp or udp"
    )
    ca_file: str | None = Field(
        None,
        description="CA certificates (PEM) the receiver's certificate is checked against"
        " (default: the system's)",
    )
    client_cert: str | None = Field(None, description="a client certificate (PEM) for TLS")
    client_key: str | None = Field(None, description="its private key (PEM; default: in cert)")
    server_name: str | None = Field(
        None, description="the name the certificate must carry (default: host)"
    )
    facility: str = Field("authpriv", description="a facility name (authpriv, audit, local0…)")
    app_name: str = Field("kickbot", max_length=48, description="RFC 5424's APP-NAME")
    hostname: str | None = Field(
        None, max_length=255, description="RFC 5424's HOSTNAME (default: this host's name)"
    )
    utf8_bom: bool = Field(
        True,
        description="start MSG with a BOM, as RFC 5424 asks of UTF-8 (false for a CEF parser"
        " that wants the message to begin with CEF:)",
    )

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else (6514 if self.transport == "tls" else 514)

    @field_validator("facility")
    @classmethod
    def _facility(cls, value: str) -> str:
        if value not in FACILITIES:
            raise ValueError(f"{value!r} is not a facility (known: {', '.join(FACILITIES)})")
        return value

    @field_validator("app_name", "hostname")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not _PRINTUSASCII.match(value):
            raise ValueError("printable ASCII without spaces only (RFC 5424)")
        return value

    @field_validator("ca_file", "client_cert", "client_key")
    @classmethod
    def _files(cls, value: str | None) -> str | None:
        return _readable(value)

    @model_validator(mode="after")
    def _tls_only(self) -> SyslogSink:
        given = [k for k in ("ca_file", "client_cert", "client_key", "server_name")
                 if getattr(self, k) is not None]  # fmt: skip
        if given and self.transport != "tls":
            raise ValueError(f"{', '.join(given)}: only for transport tls")
        if self.client_key is not None and self.client_cert is None:
            raise ValueError("client_key without client_cert")
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SplunkHecSink(_Sink):
    """Splunk's HTTP Event Collector (``/services/collector/event``)."""

    type: Literal["splunk_hec"]
    url: str = Field(
        description="the collector's base URL, e.g. https://splunk.example.com:8088 (http://"
        " only to this host's loopback)"
    )
    token: SecretStr = Field(description="the HEC token (use ${VAR}); never logged or shown")
    index: str | None = Field(None, description="the index (default: the token's)")
    source: str | None = Field("kickbot", description="the events' source")
    sourcetype: str | None = Field("kickbot:audit", description="the events' sourcetype")
    host: str | None = Field(None, description="the events' host (default: this host's name)")
    ca_file: str | None = Field(
        None,
        description="CA certificates (PEM) for the collector's certificate (default: the system's)",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError(
                "http:// would send the token in clear: use https:// (http only to loopback)"
            )
        if parts.query or parts.fragment or parts.username:
            raise ValueError("give the base URL only (no query, fragment or user)")
        return value.rstrip("/")

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not _PRINTUSASCII.match(value.get_secret_value()):
            raise ValueError("the token must be printable characters without spaces")
        return value

    @field_validator("ca_file")
    @classmethod
    def _files(cls, value: str | None) -> str | None:
        return _readable(value)


AuditSink = Annotated[SyslogSink | SplunkHecSink, Field(discriminator="type")]


def unique_names(sinks: list[SyslogSink | SplunkHecSink]) -> list[SyslogSink | SplunkHecSink]:
    seen: set[str] = set()
    for sink in sinks:
        if sink.name in seen:
            raise ValueError(f"two sinks are named {sink.name!r}: give each its own name")
        seen.add(sink.name)
    return sinks
