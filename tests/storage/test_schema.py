"""One numbered migration sequence for both stores, and what only PostgreSQL does: create its database."""

from __future__ import annotations

import asyncio
import os

import pytest

from server.settings import Settings
from server.storage.db import open_database
from server.storage.interface import StorageConflict
from server.storage.schema import DIALECTS, migrations
from server.storage.sqlite import SqliteDatabase
from tests import databases


def test_both_dialects_have_every_migration_number_under_the_same_name():
    found = {dialect: [(m.version, m.name) for m in migrations(dialect)] for dialect in DIALECTS}
    assert found["sqlite"] == found["postgresql"]
    versions = [v for v, _ in found["sqlite"]]
    assert versions == sorted(set(versions)) and versions[0] == 1 and 12 in versions
    for dialect in DIALECTS:
        assert all(m.sql.strip() for m in migrations(dialect))


async def test_the_stored_schema_knows_every_migration(store):
    rows = await store.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"]) for r in rows] == [(m.version, m.name) for m in migrations(store.dialect)]


async def test_a_unique_key_lost_to_another_writer_is_a_conflict(store):
    async with store.write() as tx:
        await tx.execute("INSERT INTO floor_events (meeting_id, session_id, seq, name, actor_role, actor_label,"
                         " at_ms, body) VALUES (1, 'morning', 1, 'x', 'moderator', 'm', 0, '{}')")
    with pytest.raises(StorageConflict) as caught:
        async with store.write() as tx:
            await tx.execute("INSERT INTO floor_events (meeting_id, session_id, seq, name, actor_role, actor_label,"
                             " at_ms, body) VALUES (1, 'morning', 1, 'y', 'moderator', 'm', 0, '{}')")
    assert caught.value.code == "conflict"
    assert [r["name"] for r in await store.fetchall("SELECT name FROM floor_events")] == ["x"]


async def test_a_write_cancelled_as_it_begins_leaves_the_store_writable(store):
    """A client gone or a shutdown cancels a write while its first statement runs in the database's thread or
    connection; the next write must still work, and nothing of the cancelled one is kept."""
    async def write(seq: int, name: str) -> None:
        async with store.write() as tx:
            await tx.execute("INSERT INTO floor_events (meeting_id, session_id, seq, name, actor_role, actor_label,"
                             " at_ms, body) VALUES (1, 'morning', ?, ?, 'moderator', 'm', 0, '{}')", (seq, name))

    for seq in range(1, 4):
        cancelled = asyncio.create_task(write(100 + seq, "cancelled"))
        await asyncio.sleep(0)  # one turn of the loop: the task now awaits its BEGIN
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(cancelled, 5)
        await asyncio.wait_for(write(seq, "kept"), 5)
    assert [r["name"] for r in await store.fetchall("SELECT name FROM floor_events ORDER BY seq")] == ["kept"] * 3


@pytest.mark.postgres
async def test_a_missing_postgresql_database_is_created_and_migrated():
    url = databases.url("floorcast_created_by_open")
    await databases.drop(url)
    try:
        db = await open_database(url)
        try:
            assert db.dialect == "postgresql" and "floorcast_created_by_open" in db.location
            assert len(await db.fetchall("SELECT version FROM schema_migrations")) == len(migrations("postgresql"))
        finally:
            await db.close()
        again = await open_database(url)  # already there and up to date: nothing to do
        await again.close()
    finally:
        await databases.drop(url)


@pytest.mark.postgres
async def test_nodes_starting_together_on_a_missing_postgresql_database_all_open_it():
    url = databases.url(f"floorcast_created_together_{os.getpid()}")
    await databases.drop(url)
    try:
        # Several nodes of a new deployment start at once: each sees no database and creates it; all but one lose
        # the race, which PostgreSQL reports either as a duplicate database or as a duplicate catalogue key.
        opened = await asyncio.gather(*(open_database(url) for _ in range(6)))
        for db in opened:
            assert len(await db.fetchall("SELECT version FROM schema_migrations")) == len(migrations("postgresql"))
            await db.close()
    finally:
        await databases.drop(url)


def test_sqlite_stays_the_default(tmp_path):
    assert Settings(data_dir=tmp_path).database_target() == tmp_path / "floorcast.db"
    assert Settings(database="postgresql://127.0.0.1:5432/floorcast").database_target() == \
        "postgresql://127.0.0.1:5432/floorcast"
    assert SqliteDatabase.dialect == "sqlite"
