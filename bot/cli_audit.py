"""``kickbot audit``: read the record (cases, per-target results), verify, export and prune the
audit chain.

The reading commands never create a store: without ``--store`` or ``--config`` they look for
``kickbot.db`` here and, when there is none, say how to point at the bot's store.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from bot import audit as chain
from bot.errors import KickbotError
from bot.settings import Settings, load
from bot.store import Store

T = TypeVar("T")

NO_STORE_HINT = (
    "point at the bot's store with --store URL (e.g. --store sqlite:///var/lib/kickbot/kickbot.db)"
    " or --config FILE (the bot's config; its `store` is used)"
)


def _settings(config: Path | None) -> Settings:
    if config is None:
        return Settings()
    from handlers import COMMANDS

    try:
        return load(config, [c.name for c in COMMANDS])
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None


def _store_url(config: Path | None, store: str | None) -> str:
    return store or _settings(config).store


def _with_store(url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``work`` on an existing store (none is created)."""

    async def go() -> T:
        db = await Store.open(url, create=False)
        try:
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(go())
    except KickbotError as exc:
        message = str(exc)
        if message.startswith("there is no"):
            message += f": {NO_STORE_HINT}"
        raise click.ClickException(message) from None


store_options = [
    click.option("--config", "config", type=click.Path(path_type=Path), default=None),
    click.option("--store", default=None, help="Database URL (overrides the config's store)."),
]


def with_store_options(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(store_options):
        f = option(f)
    return f


@click.group(invoke_without_command=True)
@with_store_options
@click.option("--room", default=None)
@click.option("--user", default=None, help="Caller or target: user id, name or e-mail.")
@click.option("--since", default=None, help="ISO date or time, e.g. 2026-11-01.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def audit(
    ctx: click.Context,
    config: Path | None,
    store: str | None,
    room: str | None,
    user: str | None,
    since: str | None,
    as_json: bool,
) -> None:
    """Print the commands kickbot received and what it did for each target."""
    if ctx.invoked_subcommand is not None:
        return

    async def fetch(db: Store) -> list[dict[str, Any]]:
        return [r.as_dict() for r in await db.audit(room=room, user=user, since=since)]

    rows = _with_store(_store_url(config, store), fetch)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"#{r['case']} {r['received_at']} {r['platform']} room={r['room']} "
            f"by {r['caller']} ({r['caller_id']}): {r['text']} -> {r['outcome'] or r['state']}"
        )
        for res in r["results"]:
            click.echo(
                f"    {res['result']:8} {res['target']} ({res['target_id']}): {res['detail']}"
            )
    if not rows:
        click.echo("no commands recorded")


def _key(config: Path | None, key: str | None) -> bytes | None:
    value = key or (_settings(config).audit_key if config else None)
    return value.encode() if value else None


key_option = click.option(
    "--key",
    default=None,
    envvar=chain.KEY_ENV,
    help=f"The audit key (HMAC of links and checkpoints); default: ${chain.KEY_ENV}, audit_key.",
)


def _head(config: Path | None, given: str | None, head_file: Path | None) -> chain.Head | None:
    """The head to check the chain against: --head, else --head-file, else the config's
    audit_head_file (a configured file that is missing is an error: it may have been
    deleted to hide a cut)."""
    try:
        if given is not None:
            return chain.Head.parse(given)
        path = head_file
        if path is None and config is not None:
            configured = _settings(config).audit_head_file
            path = Path(configured) if configured else None
        if path is None:
            return None
        found = chain.HeadFile(path).read()
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None
    if found is None:
        raise click.ClickException(
            f"the audit head file {path} does not exist (kickbot writes it when it starts"
            " and after each append; if it was deleted, the chain cannot be checked for a"
            " cut-off tail: give a head with --head SEQ:HASH from the log)"
        )
    return found


@audit.command()
@with_store_options
@key_option
@click.option(
    "--head",
    "head",
    default=None,
    metavar="SEQ:HASH",
    help="A head kept outside the store (from the log's `audit appended` lines).",
)
@click.option(
    "--head-file",
    type=click.Path(path_type=Path),
    default=None,
    help="A head file kickbot wrote (audit_head_file; default: the config's).",
)
def verify(
    config: Path | None,
    store: str | None,
    key: str | None,
    head: str | None,
    head_file: Path | None,
) -> None:
    """Check the audit chain and the cases shown against it; name what is broken."""
    secret = _key(config, key)
    expected = _head(config, head, head_file)
    found = _with_store(
        _store_url(config, store), lambda db: chain.examine(db.database, secret, expected)
    )
    if not found.intact:
        lines = []
        if found.broken is not None:
            lines.append(f"audit chain broken at {found.broken} ({found.checked} records fine)")
        if found.mismatches:
            lines.append(
                f"{len(found.mismatches)} case(s) or result(s) shown by `kickbot audit` and"
                " /case do not match the chain:"
            )
            lines += [f"  {m}" for m in found.mismatches[:50]]
            if len(found.mismatches) > 50:
                lines.append(f"  … and {len(found.mismatches) - 50} more")
        raise click.ClickException("\n".join(lines))
    links = f"{found.plain} plain SHA-256 links, {found.keyed} keyed (HMAC)"
    if found.checkpoints:
        links += f", after {found.checkpoints} pruning checkpoint(s)"
    end = f"head #{found.head}" if found.head is not None else "empty"
    checked_head = f"; the head given (#{expected.seq}) is in it" if expected else ""
    click.echo(
        f"audit chain intact: {found.checked} records verified ({links}); {end}{checked_head};"
        f" {found.cases} closed cases and {found.results} results match it"
    )
    if secret is None and expected is None:
        click.echo(
            "note: without an audit key or a head kept outside the store, a chain cut short or"
            " rewritten from scratch is not detectable (see docs/audit.md)"
        )


@audit.command()
@with_store_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--since", default=None, help="ISO date or time (inclusive).")
@click.option("--until", default=None, help="ISO date or time (exclusive).")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, allow_dash=True),
    required=True,
    help="The file to write; - for standard output.",
)
def export(
    config: Path | None,
    store: str | None,
    fmt: str,
    since: str | None,
    until: str | None,
    output: Path,
) -> None:
    """Write the audit records (cases and per-target results) to a file for compliance.

    CSV cells beginning with = + - @, a tab or a carriage return get a leading ' (so a
    spreadsheet shows them rather than running them as formulas); the JSON is exact."""
    rows = _with_store(
        _store_url(config, store), lambda db: chain.export_rows(db.database, since, until)
    )
    if fmt == "csv":
        text = chain.to_csv(rows)
    else:
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        click.echo(f"{len(rows)} records written to standard output", err=True)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"{len(rows)} records written to {output}")


@audit.command()
@with_store_options
@key_option
@click.option("--days", type=int, default=None, help="Keep this many days (default: config).")
def prune(config: Path | None, store: str | None, key: str | None, days: int | None) -> None:
    """Drop old audit records (and their cases), leaving a signed checkpoint so the chain
    still verifies. Refused, with nothing deleted, when the key does not match the chain or
    the chain is broken."""
    settings = _settings(config)
    keep = days if days is not None else settings.audit_retention_days
    if keep is None:
        raise click.ClickException("say how many days to keep: --days or audit_retention_days")
    if keep < 1:
        raise click.ClickException(
            f"--days {keep}: prune keeps this many days of records; it must be at least 1"
            " (nothing pruned)"
        )
    secret = _key(config, key)
    if secret is None:
        raise click.ClickException(
            f"pruning needs an audit key: --key, {chain.KEY_ENV} or audit_key"
        )
    before = (datetime.now(UTC) - timedelta(days=keep)).isoformat(timespec="milliseconds")
    sinks = [s.name for s in settings.audit_sinks] if config is not None else None

    async def cut(db: Store) -> tuple[int, tuple[int, str] | None]:
        held = await db.audit_sinks.held(sinks)
        through = held[0] if held is not None else None
        return await chain.prune(db.database, before, secret, through), held

    count, held = _with_store(_store_url(config, store), cut)
    click.echo(f"{count} records older than {keep} days pruned; checkpoint signed")
    if held is not None:
        click.echo(
            f"records after #{held[0]} are kept until audit sink {held[1]} has acknowledged"
            " them (`kickbot audit stream --status`)"
        )
