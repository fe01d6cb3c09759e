"""The data directory's secret key, from which capability-link tokens are derived."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: The key's length in bytes (256 bits).
KEY_BYTES = 32


class KeyProblem(Exception):
    """``link.key`` cannot be used (damaged or unreadable); the message is one line."""


def load_or_create_key(data_dir: Path) -> bytes:
    """Read ``link.key`` from the data directory, creating it (mode 0600, 256 random bits) the first time.

    Raises ``KeyProblem`` when the file is shorter than 32 bytes or cannot be read or written: every link was
    derived from it, so a new key would silently invalidate them all.
    """
    path = Path(data_dir) / "link.key"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            key = secrets.token_bytes(KEY_BYTES)
            # O_EXCL: two processes starting together must not each write a different key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                key = path.read_bytes()
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key)
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot read or create the link key ({exc.strerror or exc})") from None
    if len(key) < KEY_BYTES:
        raise KeyProblem(f"{path} is damaged: expected {KEY_BYTES} bytes, found {len(key)}; restore it from a backup "
                         "(a new key would invalidate every link)")
    return key
