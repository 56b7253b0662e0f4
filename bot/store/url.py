"""A store's database URL: which database (SQLite or PostgreSQL), and how to show it without
its password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.errors import ConfigError

SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST/DB"
_SQLITE_DRIVERS = ("", "pysqlite", "aiosqlite")
_POSTGRES_DRIVERS = ("", "psycopg", "asyncpg")  # asyncpg: the driver of earlier releases


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A store's database URL, as the store uses it."""

    backend: Literal["sqlite", "postgresql"]
    path: str = ":memory:"
    """SQLite: the file."""
    synchronous: Literal["full", "normal"] = "full"
    """SQLite: ``full`` (the default) flushes each commit to disk before it returns: nothing
    committed is lost, even to a power cut. ``normal`` leaves the flush to checkpoints: a crash
    of kickbot still loses nothing, one of the machine may lose the last commits
    (``?synchronous=normal`` in the URL)."""
    conninfo: str = ""
    """PostgreSQL: the libpq URL (no driver in the scheme, no ``search_path``)."""
    search_path: str | None = None
    """PostgreSQL: the schema to use (``?search_path=kickbot`` in the URL)."""

    @property
    def shown(self) -> str:
        """For messages: the URL without its password (``user:***@``, ``password=***``)."""
        if self.backend == "sqlite":
            options = "?synchronous=normal" if self.synchronous == "normal" else ""
            return f"sqlite:///{'' if self.path == ':memory:' else self.path}{options}"
        return mask_secrets(self.conninfo)

    @property
    def sqlalchemy(self) -> str:
        """The URL for SQLAlchemy (the migrations), with the same driver."""
        if self.backend == "sqlite":
            return f"sqlite+pysqlite:///{'' if self.path == ':memory:' else self.path}"
        return "postgresql+psycopg" + self.conninfo.removeprefix("postgresql")

    @property
    def connect_args(self) -> dict[str, str]:
        """psycopg's connection arguments beside the URL."""
        return {"options": f"-c search_path={self.search_path}"} if self.search_path else {}


SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
"""libpq parameters whose value is a secret, wherever a URL or conninfo names them."""
_USER_PASSWORD = re.compile(r"(//[^/?#@:\s]*):[^/?#@\s]*@")
_SECRET_PARAMETER = re.compile(
    r"(?i)(?<![\w])("
    + "|".join(sorted(SECRET_PARAMETERS))
    + r")(\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s#]*)"
)
MASK = "***"


def mask_secrets(text: str) -> str:
    """``text`` (a store URL, or a message that may quote one) with every password masked:
    ``user:pw@host`` -> ``user:***@host``, ``?password=pw`` and ``sslpassword=pw`` (URL query or
    libpq ``key=value`` conninfo) -> ``password=***``."""
    masked = _USER_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    return _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", masked)


def parse_url(url: str) -> StoreURL:
    """Read a store URL. A PostgreSQL URL may name the schema to use: ``?search_path=kickbot``."""
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise ConfigError(f"store: {mask_secrets(url)!r} is not a database URL ({SUPPORTED})")
    backend, _, driver = parts.scheme.partition("+")
    if backend == "sqlite" and driver in _SQLITE_DRIVERS:
        path = url.split("://", 1)[1].removeprefix("/").split("?", 1)[0] or ":memory:"
        query = dict(parse_qsl(parts.query))
        synchronous = query.pop("synchronous", "full").lower()
        if query or synchronous not in ("full", "normal"):
            raise ConfigError(
                f"store: {mask_secrets(url)!r}: a SQLite store takes one option,"
                " synchronous=full (the default) or synchronous=normal"
            )
        return StoreURL(
            "sqlite", path=path, synchronous=cast(Literal["full", "normal"], synchronous)
        )
    if backend in ("postgresql", "postgres") and driver in _POSTGRES_DRIVERS:
        query = dict(parse_qsl(parts.query))
        search_path = query.pop("search_path", None)
        conninfo = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query)))
        return StoreURL("postgresql", conninfo=conninfo, search_path=search_path)
    raise ConfigError(f"store: unsupported database URL {parts.scheme}:// ({SUPPORTED})")
