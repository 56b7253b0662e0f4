"""The ``http:`` section of the configuration: where kickbot's operations endpoint listens."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OPS_EXTRAS = ("ops",)
"""The extra the operations endpoint needs (aiohttp, prometheus-client)."""


class HttpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    listen_host: str = Field(
        "127.0.0.1", description="address the operations endpoint (/healthz, /readyz) listens on"
    )
    listen_port: int = Field(8096, ge=0, le=65535, description="its port")
    ready_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="a platform or the store not answering /readyz's check"
        " within this long is not ready",
    )
    audit_verify_minutes: float = Field(
        5.0,
        gt=0,
        le=1440,
        description="how often `kickbot run` checks the audit records appended since the last"
        " check (docs/operations.md)",
    )
    audit_full_verify_hours: float = Field(
        24.0,
        gt=0,
        le=8760,
        description="how often it checks the whole audit chain again (also once at start)",
    )
