"""The numbered migrations of both dialects: one sequence, shared files where the SQL is the same.

``migrations/NNNN_name.sql`` holds SQL both SQLite and PostgreSQL run as written; ``migrations/sqlite/`` and
``migrations/postgresql/`` hold a dialect's own file for a number where they must differ (table ids, triggers,
full-text search, rebuilding a table). Every number exists for both dialects, under the same name.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from importlib.abc import Traversable

from .interface import Dialect

DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")


@dataclasses.dataclass(frozen=True)
class Migration:
    """One numbered migration as a dialect runs it."""

    version: int
    name: str
    sql: str


def _files(folder: Traversable) -> dict[int, Traversable]:
    found: dict[int, Traversable] = {}
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            if int(name[:4]) in found:
                raise ValueError(f"two migrations numbered {name[:4]} in {folder}")
            found[int(name[:4])] = entry
    return found


def migrations(dialect: Dialect) -> list[Migration]:
    """Every migration of a dialect in order (a shared file unless the dialect has its own for that number)."""
    root = resources.files("server.storage") / "migrations"
    shared = _files(root)
    own = _files(root / dialect)
    both = set(shared) & set(own)
    if both:
        raise ValueError(f"migrations {sorted(both)} are both shared and {dialect}-only")
    chosen = {**shared, **own}
    return [Migration(v, chosen[v].name, chosen[v].read_text(encoding="utf-8")) for v in sorted(chosen)]
