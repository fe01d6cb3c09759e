"""The SQLite adapter: the embedded default, one file, every write on one connection.

SQLite allows one writer at a time; funnelling writes through one aiosqlite connection with ``BEGIN IMMEDIATE``
turns lock contention into an orderly queue (the same reason datasette keeps a single write thread). WAL lets
readers on the same file proceed while a write is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from .interface import Dialect, Row, StorageConflict
from .schema import migrations

log = logging.getLogger(__name__)


class SqliteTransaction:
    """Statements inside one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""
        await self.conn.executemany(sql, [tuple(r) for r in rows])

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one single-row ``INSERT``; returns the new row's id."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            rowid = cur.lastrowid
        assert rowid is not None, "the statement inserted no row"
        return rowid

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())


class SqliteDatabase:
    """One aiosqlite connection used for writes (in transactions) and reads."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.location = str(path)
        # aiosqlite runs statements in order on one thread, but two coroutines could interleave their
        # statements inside one transaction; the lock keeps each transaction whole.
        self._write_lock = asyncio.Lock()
        self._tx = SqliteTransaction(conn)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteTransaction]:
        """A ``BEGIN IMMEDIATE`` transaction: committed when the block ends, rolled back on error."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx
            except sqlite3.IntegrityError as exc:
                await self.conn.rollback()
                # Another process writing the same file stored the same key first (the next number of a log).
                if str(exc).startswith("UNIQUE constraint failed"):
                    raise StorageConflict() from exc
                raise
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query."""
        return await self._tx.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        return await self._tx.fetchone(sql, params)

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        await self.conn.close()


def statements(script: str) -> list[str]:
    """The statements of a migration script, trigger bodies kept whole (``sqlite3.complete_statement``)."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(x.strip().startswith("--") or not x.strip() for x in buffer.splitlines()):
        raise ValueError(f"a migration ends inside a statement: {buffer.strip()[:80]!r}")
    return found


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply every numbered migration not yet applied, all in one transaction; returns the names applied.

    The applied versions are read inside the ``BEGIN IMMEDIATE`` transaction, so processes starting together on one
    file apply each migration once: the second waits for the first and then finds nothing left to do.
    """
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                           " name TEXT NOT NULL, applied_ms INTEGER NOT NULL)")
        async with conn.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        applied = []
        for m in migrations("sqlite"):
            if m.version in done:
                continue
            for statement in statements(m.sql):
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)",
                               (m.version, m.name, time.time_ns() // 1_000_000))
            applied.append(m.name)
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()
    for name in applied:
        log.info("migration applied", extra={"migration": name})
    return applied


async def open_sqlite(path: Path) -> SqliteDatabase:
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
    return SqliteDatabase(conn, path)
