"""The ``kickbot`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

import click

from bot import logs
from bot.errors import KickbotError
from bot.settings import Settings, load


def _known_commands() -> list[str]:
    from handlers import COMMANDS

    return [c.name for c in COMMANDS]


def _load(config: Path) -> Settings:
    try:
        return load(config, _known_commands())
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.version_option(package_name="kickbot")
def main() -> None:
    """kickbot: removals on command, checked, paced and audited."""


@main.command()
@click.option("--config", "config", type=click.Path(path_type=Path), required=True)
def run(config: Path) -> None:
    """Run the bot against the platforms named in the config file."""
    settings = _load(config)
    logs.configure(settings.log_level, settings.log_format)
    from bot.app import App

    try:
        app = App(settings)
        asyncio.run(app.run_until_signalled())
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("check-config")
@click.argument("config", type=click.Path(path_type=Path))
def check_config(config: Path) -> None:
    """Validate a config file (and each enabled platform's section) without connecting."""
    settings = _load(config)
    from bot.app import build_platforms

    try:
        platforms = build_platforms(settings)
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{config}: OK (platforms: {', '.join(platforms) or 'none'})")


@main.command()
@click.option("--script", type=click.File("r"), default=None, help="Read lines from a file.")
@click.option("--store", default=None, help="Database URL (default: a file in a temp dir).")
def demo(script: TextIO | None, store: str | None) -> None:
    """A local Symphony pod (emulated on 127.0.0.1) with the real bot connected to it."""
    logs.configure("WARNING")
    from bot.demo import run_demo

    source = script if script is not None else sys.stdin
    asyncio.run(run_demo(source, store))


@main.command()
@click.option("--config", "config", type=click.Path(path_type=Path), default=None)
@click.option("--store", default=None, help="Database URL (overrides the config's store).")
@click.option("--room", default=None)
@click.option("--user", default=None, help="Caller or target: user id, name or e-mail.")
@click.option("--since", default=None, help="ISO date or time, e.g. 2026-11-01.")
@click.option("--json", "as_json", is_flag=True)
def audit(
    config: Path | None,
    store: str | None,
    room: str | None,
    user: str | None,
    since: str | None,
    as_json: bool,
) -> None:
    """Print the commands kickbot received and what it did for each target."""
    url = store or (_load(config).store if config else Settings().store)
    from bot.store import Store

    async def fetch() -> list[dict[str, object]]:
        db = await Store.open(url)
        try:
            return [r.as_dict() for r in await db.audit(room=room, user=user, since=since)]
        finally:
            await db.close()

    try:
        rows = asyncio.run(fetch())
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"#{r['case']} {r['received_at']} {r['platform']} room={r['room']} "
            f"by {r['caller']} ({r['caller_id']}): {r['text']} -> {r['outcome'] or r['state']}"
        )
        for res in r["results"]:  # type: ignore[attr-defined]
            click.echo(
                f"    {res['result']:8} {res['target']} ({res['target_id']}): {res['detail']}"
            )
    if not rows:
        click.echo("no commands recorded")
