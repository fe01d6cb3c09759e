"""Open the store a setting names: a SQLite file (the default) or a PostgreSQL database (``postgresql://…``)."""

from __future__ import annotations

from pathlib import Path

from .interface import Database, DatabaseProblem, one
from .postgres import open_postgres
from .sqlite import open_sqlite

__all__ = ["Database", "DatabaseProblem", "is_postgres_url", "one", "open_database"]


def is_postgres_url(target: str | Path) -> bool:
    """Whether a database setting names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


async def open_database(target: str | Path) -> Database:
    """Open the store and bring its schema up to date (a missing file or PostgreSQL database is created)."""
    if is_postgres_url(target):
        return await open_postgres(str(target))
    return await open_sqlite(Path(target))
