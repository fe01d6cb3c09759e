"""The PostgreSQL adapter: a pool of asyncpg connections, for deployments where several nodes share one store.

Correctness never rests on one process holding state: every write is a transaction on a pooled connection, and
the per-session logs (floor and question events, caption segments) carry a sequence number under a unique key, so
the loser of a race between two nodes gets :class:`StorageConflict` instead of forking the log.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ..domain.errors import Unavailable
from .interface import DatabaseProblem, Dialect, Row, StorageConflict
from .schema import migrations

log = logging.getLogger(__name__)

#: Held while migrating, so nodes starting together apply each migration once.
_MIGRATION_LOCK = 7_245_170_001


@functools.lru_cache(maxsize=1024)
def placeholders(sql: str) -> str:
    """The statement with ``?`` placeholders numbered ``$1, $2, …`` (outside quoted strings and names)."""
    out: list[str] = []
    n = 0
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


def _changed(status: str) -> int:
    """Rows changed according to a command status such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTransaction:
    """Statements inside one transaction on one pooled connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        return _changed(await self.conn.execute(placeholders(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""
        rows = [tuple(r) for r in rows]
        if rows:
            await self.conn.executemany(placeholders(sql), rows)

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one single-row ``INSERT``; returns the new row's id."""
        new_id = await self.conn.fetchval(placeholders(sql) + " RETURNING id", *params)
        assert new_id is not None, "the statement inserted no row"
        return int(new_id)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        return await self.conn.fetchrow(placeholders(sql), *params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query."""
        return list(await self.conn.fetch(placeholders(sql), *params))


class PostgresDatabase:
    """A pool of connections; each write transaction takes one for its duration."""

    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, location: str) -> None:
        self.pool = pool
        self.location = location
        self.errors: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[PostgresTransaction]:
        """A transaction: committed when the block ends, rolled back on error.

        A lost unique key raises ``StorageConflict``; a full disk, a read-only server or a lost connection raises
        ``Unavailable`` (``storage_full``/``storage_unavailable``); nothing of the transaction is kept.
        """
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield PostgresTransaction(conn)
        except asyncpg.UniqueViolationError as exc:
            # Another node wrote the same key first (the next number of a log, the same hub twice).
            self.errors["conflict"] += 1
            raise StorageConflict() from exc
        except asyncpg.DiskFullError:
            log.warning("database write failed", extra={"code": "storage_full"})
            self.errors["storage_full"] += 1
            raise Unavailable("The server's storage is full: nothing was stored. Send it again later.",
                              code="storage_full") from None
        except (OSError, asyncpg.ReadOnlySQLTransactionError, asyncpg.PostgresConnectionError,
                asyncpg.InterfaceError, asyncpg.CannotConnectNowError) as exc:
            log.warning("database write failed", extra={"code": "storage_unavailable", "error": str(exc)})
            self.errors["storage_unavailable"] += 1
            raise Unavailable("The server cannot store this now: nothing was stored. Send it again later.") from None

    async def probe(self, now: int) -> str | None:
        """Check that writes work now: ``None``, or the code of what fails (``storage_full``,
        ``storage_unavailable``): a committed one-row write, then a 64 KiB row added and rolled back."""
        try:
            async with self.write() as tx:
                await tx.execute("INSERT INTO health_probe (id, filler, at_ms) VALUES (1, NULL, ?) ON CONFLICT (id)"
                                 " DO UPDATE SET at_ms = excluded.at_ms", (now,))
            async with self.pool.acquire() as conn:
                tx = conn.transaction()
                await tx.start()
                try:
                    # id 2: the identity sequence would start at the probe row's own id
                    await conn.execute("INSERT INTO health_probe (id, filler, at_ms) VALUES (2, $1, $2)",
                                       bytes(65536), now)
                finally:
                    await tx.rollback()
        except Unavailable as exc:
            return exc.code
        except asyncpg.DiskFullError:
            return "storage_full"
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return "storage_unavailable"
        return None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """All rows of a query."""
        return list(await self.pool.fetch(placeholders(sql), *params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        return await self.pool.fetchrow(placeholders(sql), *params)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.pool.close()


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def database_name(url: str) -> str:
    """The database a URL names (``postgresql://host:5432/NAME``)."""
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ValueError(f"{redacted(url)}: the URL names no database (postgresql://HOST:PORT/NAME)")
    return name


async def create_database_if_missing(url: str) -> bool:
    """Create the database a URL names when the server does not have it yet; returns whether it did."""
    name = database_name(url)
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    admin = await asyncpg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    try:
        # CREATE DATABASE takes no parameters; the name is quoted as an identifier.
        quoted = '"' + name.replace('"', '""') + '"'
        await admin.execute(f"CREATE DATABASE {quoted}")
    except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
        # Another node created it first: PostgreSQL says so as a duplicate database, or, when both CREATE
        # DATABASE statements ran at once, as a duplicate key in its catalogue (pg_database_datname_index).
        return False
    finally:
        await admin.close()
    log.info("database created", extra={"database": name})
    return True


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply every numbered migration not yet applied, each in its own transaction; returns the names applied."""
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                           " name TEXT NOT NULL, applied_ms BIGINT NOT NULL)")
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for m in migrations("postgresql"):
            if m.version in done:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute("INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                                   m.version, m.name, time.time_ns() // 1_000_000)
            applied.append(m.name)
            log.info("migration applied", extra={"migration": m.name})
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def open_postgres(url: str, *, create: bool = True, max_size: int = 10) -> PostgresDatabase:
    """Connect to the database a URL names (creating it first when ``create`` and missing), bring its schema up to
    date, and open the pool."""
    try:
        if create:
            await create_database_if_missing(url)
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseProblem(f"{redacted(url)}: {' '.join(str(exc).split())[:300]}") from None
    database = PostgresDatabase(pool, redacted(url))
    failure = await database.probe(time.time_ns() // 1_000_000)
    if failure is not None:
        await database.close()
        raise DatabaseProblem(f"{redacted(url)}: the database does not take writes ({failure.replace('_', ' ')})")
    return database
