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
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from ..domain.errors import Unavailable
from .interface import DatabaseProblem, Dialect, Row, StorageConflict
from .schema import migrations

log = logging.getLogger(__name__)
#: SQLite's primary result codes that mean the file cannot take writes now (not a bug in a statement).
_FULL = {sqlite3.SQLITE_FULL}
_UNAVAILABLE = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB,
                sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


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
        self.errors: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteTransaction]:
        """A ``BEGIN IMMEDIATE`` transaction: committed when the block ends, rolled back on error.

        A full or failing file raises ``Unavailable`` (``storage_full``/``storage_unavailable``) and a lost unique
        key ``StorageConflict``: the caller answers a coded refusal and nothing of the transaction is kept.
        """
        async with self._write_lock:
            try:
                await self._begin()
                try:
                    yield self._tx
                except BaseException:
                    # SQLite already rolled back a transaction that hit SQLITE_FULL or an I/O error.
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise
                else:
                    await self.conn.commit()
            except sqlite3.IntegrityError as exc:
                # Another process writing the same file stored the same key first (the next number of a log).
                if str(exc).startswith("UNIQUE constraint failed"):
                    self.errors["conflict"] += 1
                    raise StorageConflict() from exc
                raise
            except sqlite3.Error as exc:
                refusal = unavailable(exc)
                if refusal is None:
                    raise
                if self.conn.in_transaction:  # a failed COMMIT leaves the transaction open
                    await self.conn.rollback()
                log.warning("database write failed", extra={"code": refusal.code, "error": str(exc)})
                self.errors[refusal.code] += 1
                raise refusal from None

    async def _begin(self) -> None:
        """``BEGIN IMMEDIATE`` (the write lock held). A write cancelled while its statement ran in the database
        thread (a client gone, a shutdown) can leave its transaction open: nothing of it was acknowledged, so it is
        rolled back rather than failing every later write with "cannot start a transaction within a transaction"."""
        try:
            await self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            # The database thread runs statements in order, so the cancelled write's BEGIN has run by now.
            if "within a transaction" not in str(exc):
                raise
            log.warning("rolled back a transaction a cancelled write left open")
            await self.conn.rollback()
            await self.conn.execute("BEGIN IMMEDIATE")

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
                await self._begin()
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
    """Open (creating if needed) the database file in WAL mode and bring its schema up to date.

    Raises ``DatabaseProblem`` (a one-line message) when the file is not a sound, writable SQLite database.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, START_TRIES + 1):
        try:
            return await _open_sqlite(path)
        except _Locked:
            # Another process is creating or migrating the same file (a new file's switch to WAL can refuse a
            # second connection at once, without waiting): start again once it is done.
            if attempt == START_TRIES:
                raise DatabaseProblem(f"{path}: database is locked") from None
            log.info("database locked by another process starting: trying again", extra={"attempt": attempt})
            await asyncio.sleep(0.1 * attempt)
    raise AssertionError("every attempt returns or raises")


#: Attempts at opening a file another process holds locked while it starts (about 10 s in all).
START_TRIES = 14


class _Locked(Exception):
    """The file was locked by another process for longer than the busy timeout, or at once."""


async def _open_sqlite(path: Path) -> SqliteDatabase:
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
        database = SqliteDatabase(conn, path)
        failure = await database.probe(time.time_ns() // 1_000_000)
        if failure is not None:
            raise DatabaseProblem(f"{path}: the database does not take writes ({failure.replace('_', ' ')})")
    except sqlite3.Error as exc:
        await conn.close()
        if isinstance(exc, sqlite3.OperationalError) and "database is locked" in str(exc):
            raise _Locked() from None
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
