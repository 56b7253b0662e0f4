"""``kickbot audit stream --status``: how far each audit sink (``audit_sinks``) has
acknowledged the chain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli_audit import _settings, _store_url, _with_store, with_store_options
from bot.store import Store
from bot.store.audit_sinks import SinkPosition
from bot.streaming.status import statuses


@click.command()
@with_store_options
@click.option("--status", "show", is_flag=True, required=True,
              help="Show each sink's position, lag and last error.")  # fmt: skip
@click.option(
    "--max-lag",
    type=click.IntRange(min=0),
    default=None,
    help="Exit 1 when a configured sink is more than this many records behind the chain.",
)
@click.option("--json", "as_json", is_flag=True)
def stream(
    config: Path | None, store: str | None, show: bool, max_lag: int | None, as_json: bool
) -> None:
    """Show how far each audit sink has acknowledged the audit chain (kickbot run streams
    the records; see docs/operations.md). Exit status 1 with --max-lag N when a configured
    sink is more than N records behind, else 0."""
    settings = _settings(config)
    configured = [(s.name, s.type) for s in settings.audit_sinks]

    async def read(db: Store) -> tuple[int, list[SinkPosition]]:
        return await db.audit_sinks.positions()

    head, positions = _with_store(_store_url(config, store), read)
    found = statuses(configured, head, positions)
    if as_json:
        rows = [
            {"sink": s.name, "type": s.kind, "acknowledged": s.acknowledged, "head": s.head,
             "lag": s.lag, "sent_at": s.sent_at, "error": s.error, "error_at": s.error_at}
            for s in found
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        click.echo(f"audit chain head: #{head}")
        for s in found:
            click.echo(s.line())
        if not found:
            click.echo("no audit sinks configured (audit_sinks) or streamed")
    behind = [s for s in found if s.kind is not None and max_lag is not None and s.lag > max_lag]
    if behind:
        names = ", ".join(f"{s.name} ({s.lag})" for s in behind)
        click.echo(f"behind by more than {max_lag} records: {names}", err=True)
        sys.exit(1)
