"""What the rest of the server may ask of a store: the protocols both adapters implement.

The storage modules (``meetings``, ``captions``, ``floor``, ``questions``, ``revisions``, ``search``, ``audit``) hold
every SQL statement and are written against :class:`Database` only, so the same functions serve SQLite
(``storage/sqlite.py``, the embedded default) and PostgreSQL (``storage/postgres.py``). Statements use ``?``
placeholders and SQL both dialects understand; where a dialect needs its own statement, the module asks
``db.dialect``. The web layer and the exports receive a ``Database`` and call the storage modules' functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

from ..domain.errors import DomainError

Dialect = Literal["sqlite", "postgresql"]

#: A result row: read by column name (``row["id"]``) or position (``row[0]``); ``dict(row)`` gives its columns.
Row = Any


class DatabaseProblem(Exception):
    """The store cannot be used (damaged, not a database, read-only, unreachable); the message is one line."""


class StorageConflict(DomainError):
    """Someone else changed this first; reload and try again."""

    code = "conflict"


class Transaction(Protocol):
    """Statements inside one open write transaction: all are committed together or none is."""

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one ``INSERT`` of a single row into a table with an ``id`` column; returns the new row's id."""

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query inside the transaction, or None."""

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query inside the transaction."""


class Database(Protocol):
    """An open store: reads, write transactions, and closing.

    A write transaction that loses a race on a unique key (two nodes appending the same sequence number to a
    log) raises :class:`StorageConflict`; the caller reloads what it holds and may try again. A store that cannot
    take writes now (disk full, read-only, unreachable) raises ``Unavailable`` (``storage_full``,
    ``storage_unavailable``) and keeps nothing of the transaction.
    """

    dialect: Dialect
    #: Where the data lives, for logs and messages (a file path, or the URL without a password).
    location: str
    #: Write transactions refused since the store was opened, by code (``storage_full``, ``storage_unavailable``,
    #: ``conflict``): counts for the operator's metrics.
    errors: Counter[str]

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction: committed when the block ends, rolled back on error."""

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query, or None."""

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query."""

    async def probe(self, now: int) -> str | None:
        """Check that writes work now: ``None``, or the code of what fails (``storage_full``,
        ``storage_unavailable``)."""

    async def close(self) -> None:
        """Close the store's connections."""


def one(row: Row | None) -> Row:
    """The row of a query that always returns one: an aggregate, or a row written in the same transaction."""
    assert row is not None, "the query returned no row"
    return row
