"""The SQLite file: opened in WAL mode with the store's busy timeout, made the owner's
alone."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from typing import Literal

BUSY_TIMEOUT_MS = 5000
"""How long a SQLite statement waits for another process's lock before it fails."""


def open_sqlite(path: str, synchronous: Literal["full", "normal"]) -> sqlite3.Connection:
    # The driver's own transaction handling off: the store says BEGIN IMMEDIATE itself.
    raw = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    _switch_to_wal(raw)
    raw.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'normal' else 'FULL'}")
    return raw


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database (it gives them the database file's mode)."""


def owner_only(path: str) -> None:
    """Make the SQLite store at ``path`` readable and writable by its owner only (0600): a new
    file is created so, before SQLite opens it (SQLite then creates its ``-wal`` and ``-shm``
    files with the same mode); an existing file of this user, and companions already there,
    lose any group and other bits. The directory is left as it is."""
    if path.startswith("file:"):
        return  # a URI filename: SQLite's own to resolve
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for name in (path, *(path + suffix for suffix in SQLITE_COMPANIONS)):
        try:
            found = os.stat(name)
        except FileNotFoundError:
            continue
        mode = stat.S_IMODE(found.st_mode)
        if mode & 0o077 and found.st_uid == os.geteuid():  # another owner's file is theirs
            os.chmod(name, mode & 0o700)


def _switch_to_wal(raw: sqlite3.Connection) -> None:
    """WAL is a property of the file, kept once set. Setting it takes the file's exclusive lock,
    for which SQLite does not apply the busy timeout: processes opening a new file at once
    would fail ("database is locked"), so the switch waits for the lock itself, as long."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            mode = raw.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)
            continue
        if mode != "wal":  # a database that cannot have WAL (in memory): no lock to wait for
            raise sqlite3.OperationalError(f"cannot use WAL (journal mode stays {mode})")
