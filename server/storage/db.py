"""Open the SQLite database, apply migrations, and run every write on one connection.

SQLite allows one writer at a time; funnelling writes through one aiosqlite connection with ``BEGIN IMMEDIATE``
turns lock contention into an orderly queue (the same reason datasette keeps a single write thread). WAL lets
readers on the same file proceed while a write is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)


class Database:
    """One aiosqlite connection used for writes (in transactions) and reads."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        # aiosqlite runs statements in order on one thread, but two coroutines could interleave their
        # statements inside one transaction; the lock keeps each transaction whole.
        self._write_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed when the block ends, rolled back on error."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """All rows of a query."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a query, or None."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        await self.conn.close()


def inserted_id(cursor: aiosqlite.Cursor) -> int:
    """The rowid of the row an ``INSERT`` just added (the driver types it as optional)."""
    rowid = cursor.lastrowid
    assert rowid is not None, "the statement inserted no row"
    return rowid


def one(row: aiosqlite.Row | None) -> aiosqlite.Row:
    """The row of a query that always returns one: an aggregate, or a row written in the same transaction."""
    assert row is not None, "the query returned no row"
    return row


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("server.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply every numbered migration not yet applied; returns the names applied."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_ms INTEGER NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        done = {row[0] for row in await cur.fetchall()}
    applied = []
    for version, name, sql in _migrations():
        if version in done:
            continue
        # executescript commits first; the migration and its bookkeeping row go in one explicit transaction.
        await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_migrations (version, name, applied_ms)"
                                 f" VALUES ({version}, '{name}', {time.time_ns() // 1_000_000});\nCOMMIT;")
        applied.append(name)
        log.info("migration applied", extra={"migration": name})
    return applied


async def open_database(path: Path) -> Database:
    """Open (creating if needed) the database file in WAL mode and bring its schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a write acknowledged to a captioner survives a power cut, not only a process kill.
    await conn.execute("PRAGMA synchronous=FULL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=5000")
    await migrate(conn)
    return Database(conn, path)
