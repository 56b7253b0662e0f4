"""``kickbot audit prune`` keeps the records an audit sink has not acknowledged yet: they are
still to be sent."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.store import Store
from tests.test_audit_trail import KEY, OLD, count, kickbot, make_cases, prune, run, verify


async def acknowledged(url: str, sink: str, seq: int) -> None:
    store = await Store.open(url)
    try:
        assert await store.audit_sinks.claim(sink, "test", 30) is not None
        assert await store.audit_sinks.acknowledge(sink, "test", seq, 30)
        await store.audit_sinks.release(sink, "test")
    finally:
        await store.close()


def test_prune_stops_at_what_every_sink_acknowledged(store_url: str, tmp_path: Path) -> None:
    run(make_cases(store_url, 3, at=OLD))  # the key record, then 3 cases: #1-#7, all old
    run(acknowledged(store_url, "siem", 4))
    pruned = prune(store_url, "--days", "30", "--key", KEY)
    assert pruned.exit_code == 0, pruned.output
    assert "4 records older than 30 days pruned" in pruned.stdout
    assert "records after #4 are kept until audit sink siem has acknowledged them" in (
        pruned.stdout
    )
    assert count(store_url) == 3
    ok = verify(store_url, "--key", KEY)
    assert ok.exit_code == 0, ok.output

    # With --config, the configured sinks count: one never streamed to holds everything.
    config = tmp_path / "kickbot.yaml"
    sinks = [{"type": "syslog", "name": "siem", "host": "h"},
             {"type": "syslog", "name": "new", "host": "h"}]  # fmt: skip
    config.write_text(yaml.safe_dump({"store": store_url, "audit_sinks": sinks}))
    run(acknowledged(store_url, "siem", 7))
    held = kickbot("audit", "prune", "--config", str(config), "--days", "30", "--key", KEY)
    assert held.exit_code == 0, held.output
    assert "0 records older than 30 days pruned" in held.stdout
    assert "kept until audit sink new has acknowledged" in held.stdout
    config.write_text(yaml.safe_dump({"store": store_url, "audit_sinks": sinks[:1]}))
    rest = kickbot("audit", "prune", "--config", str(config), "--days", "30", "--key", KEY)
    assert rest.exit_code == 0, rest.output
    assert "3 records older than 30 days pruned" in rest.stdout
    assert "kept until" not in rest.stdout
    assert count(store_url) == 0
