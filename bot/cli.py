"""The ``kickbot`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from bot import logs
from bot.errors import ConfigError, KickbotError
from bot.platforms import FACTORIES as PLATFORM_FACTORIES
from bot.settings import Settings, load
from bot.store import Store

if TYPE_CHECKING:
    from bot.preflight import Checked

T = TypeVar("T")


def _known_commands() -> list[str]:
    from handlers import COMMANDS

    return [c.name for c in COMMANDS]


def _load(config: Path) -> Settings:
    try:
        return load(config, _known_commands())
    except ConfigError as exc:
        raise _problems(exc.problems) from None


def _problems(problems: Sequence[str]) -> click.ClickException:
    """Configuration problems, one a line: the last one as the command's error, after the
    others (so that one problem is one line)."""
    for problem in problems[:-1]:
        click.echo(f"Error: {problem}", err=True)
    return click.ClickException(problems[-1] if problems else "configuration error")


def _checked(config: Path) -> Checked:
    """The config file checked as ``run`` needs it; exit with every problem if any."""
    from bot.preflight import check_file

    checked = check_file(config, _known_commands())
    if not checked.ok:
        raise _problems(checked.problems)
    return checked


@click.group()
@click.version_option(package_name="kickbot")
def main() -> None:
    """kickbot: removals on command, checked, paced and audited."""


@main.command()
@click.option("--config", "config", type=click.Path(path_type=Path), required=True)
def run(config: Path) -> None:
    """Run the bot against the platforms named in the config file (checked first, as
    check-config does)."""
    checked = _checked(config)
    assert checked.settings is not None
    settings = checked.settings
    logs.configure(settings.log_level, settings.log_format)
    from bot.app import App

    try:
        app = App(settings, checked.platforms)
        asyncio.run(app.run_until_signalled())
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("check-config")
@click.argument("config", type=click.Path(path_type=Path))
def check_config(config: Path) -> None:
    """Check a config file for everything `kickbot run` needs, without connecting: every key,
    each ${VAR}, the store URL, each enabled platform's section and files. Every problem is
    reported, one a line; the exit status is 1 if there is any."""
    checked = _checked(config)
    settings, platforms = checked.settings, checked.platforms
    assert settings is not None
    click.echo(f"{config}: OK (platforms: {', '.join(platforms) or 'none'})")
    if settings.notify.removed_users:
        from bot.platform import SupportsDirectMessage
        from bot.replies import platform_name

        for name, platform in platforms.items():
            if not isinstance(platform, SupportsDirectMessage):
                click.echo(
                    f"warning: notify.removed_users is on, but {platform_name(name)} bots cannot "
                    "send direct messages: people removed there are not told (the reply says so)"
                )


DEMOS = {
    "symphony": "bot.demo",
    "slack": "bot.testing.slack_demo",
    "rocketchat": "bot.testing.rocketchat_demo",
    "chime": "bot.testing.chime_demo",
    "matrix": "bot.testing.matrix_demo",
}


@main.command()
@click.option(
    "--platform",
    type=click.Choice(list(DEMOS)),
    default="symphony",
    show_default=True,
    help="Which emulated platform to run the real bot against.",
)
@click.option("--script", type=click.File("r"), default=None, help="Read lines from a file.")
@click.option("--store", default=None, help="Database URL (default: a file in a temp dir).")
def demo(platform: str, script: TextIO | None, store: str | None) -> None:
    """The real bot against a local emulated chat server (Matrix: a real local Synapse)."""
    from bot.platforms import EXTRAS, TESTING_EXTRA, import_with_extras

    logs.configure("WARNING")
    try:
        module = import_with_extras(DEMOS[platform], [EXTRAS[platform], TESTING_EXTRA])
    except ConfigError as exc:
        raise click.ClickException(f"kickbot demo --platform {platform}: {exc}") from None
    run_demo = module.run_demo
    source = script if script is not None else sys.stdin
    asyncio.run(run_demo(source, store, sys.stdout))


def _store_url(config: Path | None, store: str | None) -> str:
    return store or (_load(config).store if config else Settings().store)


def _with_store(url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    async def go() -> T:
        db = await Store.open(url)
        try:
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(go())
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None


store_options = [
    click.option("--config", "config", type=click.Path(path_type=Path), default=None),
    click.option("--store", default=None, help="Database URL (overrides the config's store)."),
]


def with_store_options(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(store_options):
        f = option(f)
    return f


@main.group(invoke_without_command=True)
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
    value = key or (_load(config).audit_key if config else None)
    return value.encode() if value else None


@audit.command()
@with_store_options
@click.option("--key", default=None, envvar="KICKBOT_AUDIT_KEY", help="Checkpoint HMAC key.")
def verify(config: Path | None, store: str | None, key: str | None) -> None:
    """Check the audit chain; name the first broken record."""
    from bot import audit as chain

    secret = _key(config, key)
    checked, broken = _with_store(
        _store_url(config, store), lambda db: chain.verify(db.database, secret)
    )
    if broken is not None:
        raise click.ClickException(f"audit chain broken at {broken} ({checked} records fine)")
    click.echo(f"audit chain intact: {checked} records verified")


@audit.command()
@with_store_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--since", default=None, help="ISO date or time (inclusive).")
@click.option("--until", default=None, help="ISO date or time (exclusive).")
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True)
def export(
    config: Path | None,
    store: str | None,
    fmt: str,
    since: str | None,
    until: str | None,
    output: Path,
) -> None:
    """Write the audit records (cases and per-target results) to a file for compliance."""
    from bot import audit as chain

    rows = _with_store(
        _store_url(config, store), lambda db: chain.export_rows(db.database, since, until)
    )
    if fmt == "csv":
        output.write_text(chain.to_csv(rows), encoding="utf-8")
    else:
        output.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    click.echo(f"{len(rows)} records written to {output}")


@audit.command()
@with_store_options
@click.option("--key", default=None, envvar="KICKBOT_AUDIT_KEY", help="Checkpoint HMAC key.")
@click.option("--days", type=int, default=None, help="Keep this many days (default: config).")
def prune(config: Path | None, store: str | None, key: str | None, days: int | None) -> None:
    """Drop old audit records, leaving a signed checkpoint so the chain still verifies."""
    from bot import audit as chain

    settings = _load(config) if config else Settings()
    keep = days or settings.audit_retention_days
    secret = _key(config, key)
    if keep is None:
        raise click.ClickException("say how many days to keep: --days or audit_retention_days")
    if secret is None:
        raise click.ClickException(
            "pruning needs an audit key: --key, KICKBOT_AUDIT_KEY or audit_key"
        )
    before = (datetime.now(UTC) - timedelta(days=keep)).isoformat(timespec="milliseconds")
    count = _with_store(
        _store_url(config, store), lambda db: chain.prune(db.database, before, secret)
    )
    click.echo(f"{count} records older than {keep} days pruned; checkpoint signed")


class _ClickTerminal:
    def show(self, text: str) -> None:
        click.echo(text)

    def ask(self, question: str) -> bool:
        return click.confirm(question, default=False)

    @contextlib.contextmanager
    def progress(self, total: int) -> Iterator[Callable[[int], None]]:
        with click.progressbar(length=total, label="Offboarding", file=sys.stderr) as bar:
            yield bar.update


@main.command()
@click.argument("email")
@click.option(
    "--platform",
    type=click.Choice(sorted(PLATFORM_FACTORIES)),
    required=True,
    help="Where to offboard (the command line supports Symphony).",
)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path),
    default=Path("config/kickbot.yaml"),
    show_default=True,
)
@click.option("--ib-group", "groups", multiple=True, help="Also remove from this IB group.")
@click.option("--reason", default=None, help="Recorded in the case and shown with each removal.")
@click.option("--dry-run", is_flag=True, help="Show the plan only.")
@click.option("--yes", is_flag=True, help="Do not ask before acting.")
def offboard(
    email: str,
    platform: str,
    config: Path,
    groups: tuple[str, ...],
    reason: str | None,
    dry_run: bool,
    yes: bool,
) -> None:
    """Remove one person (by e-mail) from every room the bot can act in, and from IB groups.

    Shows the plan and asks before acting (unless --yes); a case in the audit log, by
    cli:<os user>. Exit status: 0 done, 1 a room or group failed or it was refused, 2 declined.
    """
    from bot.cli_offboard import OffboardRequest
    from bot.cli_offboard import offboard as run_offboard

    settings = _load(config)
    logs.configure("WARNING")
    request = OffboardRequest(email, platform, groups, reason, dry_run, yes)
    try:
        status = asyncio.run(run_offboard(settings, request, _ClickTerminal()))
    except ConfigError as exc:
        raise _problems([f"{config}: {p}" for p in exc.problems]) from None
    except KickbotError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(status)
