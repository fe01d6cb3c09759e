"""Open the SQLite database, apply migrations, and run every write on one connection.

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
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from ..domain.errors import Unavailable

log = logging.getLogger(__name__)
#: SQLite's primary result codes that mean the file cannot take writes now (not a bug in a statement).
_FULL = {sqlite3.SQLITE_FULL}
_UNAVAILABLE = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB,
                sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class DatabaseProblem(Exception):
    """The database file cannot be used (corrupt, not a database, read-only); the message is one line."""


def unavailable(exc: sqlite3.Error) -> Unavailable | None:
    """The refusal a storage failure becomes (``storage_full``, ``storage_unavailable``), or None for other errors."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary in _FULL:
        return Unavailable("The server's storage is full: nothing was stored. Send it again later.",
                           code="storage_full")
    if primary in _UNAVAILABLE:
        return Unavailable("The server cannot store this now: nothing was stored. Send it again later.")
    return None


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
        """A ``BEGIN IMMEDIATE`` transaction: committed when the block ends, rolled back on error.

        A full or failing file raises ``Unavailable`` (``storage_full``/``storage_unavailable``): the caller
        answers a coded refusal and nothing of the transaction is kept.
        """
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    # SQLite already rolled back a transaction that hit SQLITE_FULL or an I/O error.
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise
                else:
                    await self.conn.commit()
            except sqlite3.Error as exc:
                refusal = unavailable(exc)
                if refusal is None:
                    raise
                if self.conn.in_transaction:  # a failed COMMIT leaves the transaction open
                    await self.conn.rollback()
                log.warning("database write failed", extra={"code": refusal.code, "error": str(exc)})
                raise refusal from None

    async def probe(self, now: int) -> str | None:
        """Check that writes work now: ``None``, or the code of what fails (``storage_full``,
        ``storage_unavailable``).

        A committed one-row write proves the file takes writes; a 64 KiB row added and rolled back proves pages
        can still be allocated (it needs no disk space once rolled back).
        """
        try:
            async with self.write() as conn:
                await conn.execute("INSERT INTO health_probe (id, filler, at_ms) VALUES (1, NULL, ?) ON CONFLICT (id)"
                                   " DO UPDATE SET at_ms = excluded.at_ms", (now,))
            async with self._write_lock:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    await self.conn.execute("INSERT INTO health_probe (filler, at_ms) VALUES (zeroblob(65536), ?)",
                                            (now,))
                finally:
                    if self.conn.in_transaction:
                        await self.conn.rollback()
        except Unavailable as exc:
            return exc.code
        except sqlite3.Error as exc:
            refusal = unavailable(exc)
            if refusal is None:
                raise
            return refusal.code
        return None

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
    """Open (creating if needed) the database file in WAL mode and bring its schema up to date.

    Raises ``DatabaseProblem`` (a one-line message) when the file is not a sound, writable SQLite database.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseProblem(f"{path}: cannot open the database ({exc})") from None
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout=5000")
        await _check_sound(conn, path)
        await conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a write acknowledged to a captioner survives a power cut, not only a process kill.
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await migrate(conn)
        database = Database(conn, path)
        failure = await database.probe(time.time_ns() // 1_000_000)
        if failure is not None:
            raise DatabaseProblem(f"{path}: the database does not take writes ({failure.replace('_', ' ')})")
    except sqlite3.Error as exc:
        await conn.close()
        raise DatabaseProblem(f"{path}: {_one_line(exc)}") from None
    except BaseException:
        await conn.close()
        raise
    return database


async def _check_sound(conn: aiosqlite.Connection, path: Path) -> None:
    """``PRAGMA quick_check``: garbage inside the file is found at start-up, not at a caption mid-session."""
    async with conn.execute("PRAGMA quick_check(1)") as cur:
        row = await cur.fetchone()
    verdict = row[0] if row else "no answer"
    if verdict != "ok":
        raise DatabaseProblem(f"{path}: the database is damaged (quick_check: {_one_line(verdict)}); restore it "
                              "from a backup")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]
