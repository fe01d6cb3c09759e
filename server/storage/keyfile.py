"""The data directory's secret key, from which capability-link tokens are derived."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_key(data_dir: Path) -> bytes:
    """Read ``link.key`` from the data directory, creating it (mode 0600, 256 random bits) the first time."""
    path = Path(data_dir) / "link.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        # O_EXCL: two processes starting together must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
    if len(key) < 32:
        raise ValueError(f"{path} is damaged: expected 32 bytes, found {len(key)}")
    return key
