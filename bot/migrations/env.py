"""Alembic's entry point. The bot passes an open connection (in a transaction, under the
migration lock) as ``config.attributes["connection"]``; the ``alembic`` command line passes a
store URL with ``-x url=…``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.migrate import sqlalchemy_connection
from bot.store.schema import metadata
from bot.store.url import parse_url


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_url(url: str) -> None:
    with sqlalchemy_connection(parse_url(url)) as connection:
        run(connection)


if context.is_offline_mode():
    raise SystemExit("kickbot's migrations run online only (pass -x url=…)")
given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    run_from_url(context.get_x_argument(as_dictionary=True)["url"])
