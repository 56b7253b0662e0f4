"""The ``kickbot`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

from bot import logs
from bot.errors import ConfigError, KickbotError
from bot.platforms import PLUGINS
from bot.settings import Settings, load

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
        from bot.replies.wording import platform_name

        for name, platform in platforms.items():
            if not isinstance(platform, SupportsDirectMessage):
                click.echo(
                    f"warning: notify.removed_users is on, but {platform_name(name)} bots cannot "
                    "send direct messages: people removed there are not told (the reply says so)"
                )


DEMOS = {plugin.name: plugin.demo for plugin in PLUGINS}
"""The emulated world of each platform for ``kickbot demo`` (imported only when run)."""


@main.command()
@click.option(
    "--platform",
    type=click.Choice(list(DEMOS)),
    default=PLUGINS.names[0],
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


from bot.cli_audit import audit  # noqa: E402
from bot.cli_stream import stream  # noqa: E402

audit.add_command(stream)
main.add_command(audit)


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
    type=click.Choice([*sorted(PLUGINS.names), "all"]),
    required=True,
    help="Where to offboard: one platform, or all those the config enables (one case).",
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
    """Remove one person (by e-mail) from every room the bot can act in, and from IB groups;
    with --platform all, on every platform the config enables, as one case.

    Shows the plan and asks before acting (unless --yes); a case in the audit log, by
    cli:<os user>. Exit status: 0 done, 1 a room or group failed, a platform could not be
    reached or it was refused, 2 declined.
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
