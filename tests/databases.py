"""Fresh PostgreSQL databases for tests: one migrated template per run, one copy of it per test."""

from __future__ import annotations

import itertools
import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from server.storage.postgres import migrate

#: The test server (trust authentication); FLOORCAST_TEST_POSTGRES names another.
SERVER = os.environ.get("FLOORCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
_numbers = itertools.count(1)


def url(name: str) -> str:
    """The URL of one database on the test server."""
    return urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}"))


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(url("postgres"), timeout=10)


async def create_template() -> str:
    """Create and migrate this run's template database; returns its name."""
    name = f"floorcast_template_{os.getpid()}"
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(url(name), timeout=10)
    try:
        await migrate(conn)
    finally:
        await conn.close()  # CREATE DATABASE … TEMPLATE needs the template without connections
    return name


async def create_copy(template: str) -> str:
    """A new database copied from the template (fast: no migrations run); returns its URL."""
    name = f"floorcast_test_{os.getpid()}_{next(_numbers)}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return url(name)


async def drop(name_or_url: str) -> None:
    """Drop a database, cutting off any connection left open."""
    name = urlsplit(name_or_url).path.lstrip("/") if "://" in name_or_url else name_or_url
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
