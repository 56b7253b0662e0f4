"""kickbot's metrics in Prometheus' format (prometheus-client), served at ``GET /metrics``.

Counters and histograms are fed by the core through ``bot.telemetry`` (installed here when the
operations endpoint starts); gauges (cases queued and running, the audit chain's length, each
audit sink's lag) are read from the store at each scrape. Every label is bounded: platform and
command names from the registries, sink names from the config, outcomes, reasons and statuses
from fixed sets; never a user or a room."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot import telemetry
from bot.store import Store

__all__ = ["CONTENT_TYPE_LATEST", "PrometheusObserver"]

_CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)


class PrometheusObserver(telemetry.Observer):
    def __init__(self, platforms: list[str], sinks: Sequence[str] = ()) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "kickbot_commands", "Commands recorded", ["platform", "command"], registry=r
        )
        self.cases = Counter(
            "kickbot_cases_answered",
            "Cases answered, by how they ended",
            ["platform", "command", "outcome"],
            registry=r,
        )
        self.refusals = Counter(
            "kickbot_refusals",
            "Commands refused as a whole",
            ["platform", "command", "reason"],
            registry=r,
        )
        self.calls = Counter(
            "kickbot_platform_calls",
            "Platform API calls by operation and status (ok, an HTTP status, error, cancelled)",
            ["platform", "operation", "status"],
            registry=r,
        )
        self.call_seconds = Histogram(
            "kickbot_platform_call_seconds",
            "Platform API calls' latency by operation (the client's retries included)",
            ["platform", "operation"],
            buckets=_CALL_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "kickbot_platform_rate_limited",
            "Platform API calls that ended in a 429",
            ["platform"],
            registry=r,
        )
        self.retries = Counter(
            "kickbot_platform_retries",
            "State-changing calls that failed after going out more than once",
            ["platform", "command"],
            registry=r,
        )
        self.store_seconds = Histogram(
            "kickbot_store_unit_seconds",
            "Store units' latency (waiting for the store's thread included)",
            ["result"],
            buckets=_STORE_BUCKETS,
            registry=r,
        )
        self.taken_over = Counter(
            "kickbot_jobs_taken_over",
            "Jobs claimed from an instance whose lease on them had lapsed",
            ["platform"],
            registry=r,
        )
        self.queued = Gauge("kickbot_jobs_queued", "Cases queued", ["platform"], registry=r)
        self.running = Gauge("kickbot_jobs_running", "Cases running", ["platform"], registry=r)
        self.audit_records = Gauge(
            "kickbot_audit_chain_length", "The audit chain's last sequence number", registry=r
        )
        self.sink_lag = Gauge(
            "kickbot_audit_sink_lag_records",
            "Audit records a sink has not acknowledged yet (the chain's end less its position)",
            ["sink"],
            registry=r,
        )
        self.verified_seq = Gauge(
            "kickbot_audit_verified_seq",
            "The sequence number of the audit chain's last head found intact",
            registry=r,
        )
        self.verified_at = Gauge(
            "kickbot_audit_last_verified_timestamp_seconds",
            "When the audit chain was last found intact (Unix time; 0: not yet)",
            registry=r,
        )
        self.verify_failures = Counter(
            "kickbot_audit_verify_failures",
            "Audit chain checks that found it broken, or could not read it (error)",
            ["reason"],
            registry=r,
        )
        for reason in ("broken", "error"):
            self.verify_failures.labels(reason)
        self.scrape_failures = Counter(
            "kickbot_metrics_store_read_failures",
            "Scrapes whose store gauges could not be read",
            registry=r,
        )
        self._platforms = platforms
        self._sinks = list(sinks)  # from the config: bounded
        for name in platforms:  # every platform's series from the start, at zero
            self.rate_limited.labels(name)
            self.taken_over.labels(name)

    def command_received(self, platform: str, command: str) -> None:
        self.commands.labels(platform, command).inc()

    def case_answered(self, platform: str, command: str, outcome: str) -> None:
        self.cases.labels(platform, command, outcome).inc()

    def refused(self, platform: str, command: str, reason: str) -> None:
        self.refusals.labels(platform, command, reason).inc()

    def platform_call(self, platform: str, operation: str, status: str, seconds: float) -> None:
        self.calls.labels(platform, operation, status).inc()
        self.call_seconds.labels(platform, operation).observe(seconds)
        if status == "429":
            self.rate_limited.labels(platform).inc()

    def platform_retry(self, platform: str, command: str) -> None:
        self.retries.labels(platform, command).inc()

    def store_unit(self, seconds: float, ok: bool) -> None:
        self.store_seconds.labels("ok" if ok else "error").observe(seconds)

    def job_taken_over(self, platform: str) -> None:
        self.taken_over.labels(platform).inc()

    def audit_verified(self, seq: int, at: float) -> None:
        self.verified_seq.set(seq)
        self.verified_at.set(at)

    def audit_verify_failed(self, reason: str) -> None:
        self.verify_failures.labels(reason).inc()

    async def exposition(self, store: Store | None) -> bytes:
        """The metrics as text, the store's gauges read now (a failed read is counted and
        leaves them as they were)."""
        if store is not None:
            try:
                counts = await store.counts()
            except Exception:
                self.scrape_failures.inc()
            else:
                for name in self._platforms:  # only these: the labels stay bounded
                    self.queued.labels(name).set(counts.queued.get(name, 0))
                    self.running.labels(name).set(counts.running.get(name, 0))
                self.audit_records.set(counts.audit_records)
                for sink in self._sinks:
                    acknowledged = counts.sinks_acknowledged.get(sink, 0)
                    self.sink_lag.labels(sink).set(max(counts.audit_records - acknowledged, 0))
        return generate_latest(self.registry)
