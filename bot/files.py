"""Small state files kickbot keeps beside its store (the audit chain's head, Matrix's sync
position): read when present, replaced whole."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bot.errors import ConfigError


def read_if_present(path: Path, cannot_read: str) -> str | None:
    """The text of ``path``; None when there is no such file. Any other failure to read it is
    a ConfigError: ``cannot_read``, then the reason."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{cannot_read}: {exc.strerror}") from None


def replace_whole(path: Path, text: str, prefix: str, *, durable: bool = False) -> None:
    """Write ``text`` to a temporary file (named ``prefix``...) in ``path``'s directory and
    rename it over ``path``: a reader sees the old file or the new one, never part of one.
    ``durable``: the file and the directory are synced too, so the new text survives a crash
    once this returns."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
