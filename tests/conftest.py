"""Shared fixtures: a real server on an ephemeral port, real HTTP and Socket.IO clients, a real store.

``--database sqlite`` (the default) gives every test a SQLite file in its temporary directory; ``--database
postgresql`` gives it a fresh PostgreSQL database, copied from a template migrated once per run, and skips the
tests marked ``sqlite`` (they read the SQLite file itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from server.settings import Settings
from server.storage import meetings as meetings_db
from server.storage.db import open_database
from server.storage.interface import Database
from server.web import serving
from server.web.app import create_app
from server.web.keys import db_key, link_key_key
from tests import databases

DEMO = "ec-baku-2012"
WAIT = 5  # seconds: the upper bound of every wait in the tests


class Running:
    """A started server with helpers to reach it."""

    def __init__(self, server: TestServer, settings: Settings) -> None:
        self.server = server
        self.app = server.app
        self.settings = settings

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return str(self.server.make_url(path))

    async def links(self, slug: str = DEMO) -> dict[tuple[str, str | None], str]:
        """Active tokens by (role, session scope)."""
        db, key = self.app[db_key], self.app[link_key_key]
        meeting_id, _ = await meetings_db.load_meeting(db, slug)
        return {(link.role.value, link.session_id): link.token
                for link in await meetings_db.active_links(db, key, meeting_id)}

    async def token(self, role: str, session: str | None = None, slug: str = DEMO) -> str:
        """The active token of one role and scope."""
        return (await self.links(slug))[(role, session)]


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """No garbage collection meanwhile: what is freed is freed by its last reference going, as in the server,
    whose rare full collections (``run.py``) would leave anything held in a reference cycle in memory for long."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--database", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the store the settings, server and store fixtures use [sqlite]")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = config.getoption("--database") == "postgresql"
    skip = pytest.mark.skip(reason="reads the SQLite file itself" if on_postgres else "runs with --database postgresql")
    for item in items:
        if ("sqlite" if on_postgres else "postgres") in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_template(pytestconfig: pytest.Config) -> Iterator[str | None]:
    """This run's migrated PostgreSQL template database (None when the tests run on SQLite)."""
    if pytestconfig.getoption("--database") != "postgresql":
        yield None
        return
    name = asyncio.run(databases.create_template())
    yield name
    asyncio.run(databases.drop(name))


@pytest.fixture
async def database_url(postgres_template: str | None) -> AsyncIterator[str]:
    """A fresh PostgreSQL database's URL for this test, dropped afterwards ("" on SQLite: the default file)."""
    if postgres_template is None:
        yield ""
        return
    url = await databases.create_copy(postgres_template)
    yield url
    await databases.drop(url)


@pytest.fixture
async def store(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An open, migrated store of the chosen kind, closed afterwards."""
    db = await open_database(database_url or tmp_path / "store.db")
    yield db
    await db.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a test server: a fresh data directory and store, the demo meeting loaded."""
    return Settings(data_dir=tmp_path / "data", port=0, log_json=False, database=database_url)


class ServingTestServer(TestServer):
    """aiohttp's test server on the runner ``run.py`` serves with: its connection handler and its access log."""

    async def _make_runner(self, **kwargs: Any) -> web.BaseRunner:
        return serving.runner(self.app, **kwargs)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Running]:
    """A real server on an ephemeral port."""
    app = create_app(settings)
    async with ServingTestServer(app, port=0) as srv:
        settings.port = srv.port
        yield Running(srv, settings)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A real HTTP client that keeps cookies (also for 127.0.0.1)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
        yield session


Connect = Callable[..., Awaitable[socketio.AsyncClient]]
#: The display name the test helpers give a moderator's connection.
CHAIR = "Test chair"


@pytest.fixture
async def live(server: Running, http: aiohttp.ClientSession) -> str:
    """The morning session started; returns the session captioner's token."""
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    return await server.token("captioner", "morning")


@pytest.fixture
async def connect(server: Running) -> AsyncIterator[Connect]:
    """Open real Socket.IO clients to the server; all are disconnected at the end."""
    clients: list[socketio.AsyncClient] = []

    async def _connect(namespace: str = "/live", *, cookies: dict[str, str] | None = None,
                       transports: list[str] | None = None, **auth: Any) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else {}
        auth.setdefault("meeting", DEMO)
        if namespace == "/moderate":
            auth.setdefault("name", CHAIR)  # moderators name themselves (pass name="" to connect without)
        await client.connect(server.url("/"), namespaces=[namespace], auth=auth, headers=headers,
                             transports=transports or ["websocket"], wait_timeout=WAIT)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        if client.connected:
            await client.disconnect()


class Inbox:
    """Collects the events a client receives so a test can wait for one, with a timeout."""

    def __init__(self, client: socketio.AsyncClient, namespace: str, *events: str) -> None:
        self.items: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        for name in events:
            client.on(name, self._handler(name), namespace=namespace)

    def _handler(self, name: str) -> Callable[[Any], Awaitable[None]]:
        async def handle(data: Any = None) -> None:
            async with self._changed:
                self.items.append((name, data))
                self._changed.notify_all()
        return handle

    async def wait_for(self, predicate: Callable[[str, Any], bool], timeout: float = WAIT) -> Any:
        """The first received (name, data) matching ``predicate``, waiting up to ``timeout`` seconds."""
        async def _wait() -> Any:
            async with self._changed:
                while True:
                    for name, data in self.items:
                        if predicate(name, data):
                            return data
                    await self._changed.wait()
        return await asyncio.wait_for(_wait(), timeout)

    async def wait_count(self, name: str, count: int, timeout: float = WAIT) -> list[Any]:
        """Wait until ``count`` events named ``name`` arrived; returns their data."""
        async def _wait() -> list[Any]:
            async with self._changed:
                while sum(1 for n, _ in self.items if n == name) < count:
                    await self._changed.wait()
                return [d for n, d in self.items if n == name]
        return await asyncio.wait_for(_wait(), timeout)


@pytest.fixture
def inbox() -> Callable[..., Inbox]:
    """Build an :class:`Inbox` for a client."""
    return Inbox


async def name_moderator(page: Any, name: str = CHAIR) -> None:
    """Answer the moderator page's first question, its user's name (without it the server refuses every action)."""
    from playwright.async_api import expect

    await page.get_by_label("Name shown in the log").fill(name)
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("[data-name-status]")).to_contain_text(name, timeout=WAIT * 1000)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright (never Playwright's own browser download)."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-system.sh")
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()


@pytest.fixture(scope="session")
def haproxy_binary() -> str:
    """Debian's HAProxy (scripts/setup-system.sh installs it), or FLOORCAST_HAPROXY: the balancer tests fail, not
    skip, without it."""
    import os

    from server.cluster import haproxy

    try:
        return haproxy.binary(os.environ.get("FLOORCAST_HAPROXY", "haproxy"))
    except haproxy.HAProxyMissing as exc:
        pytest.fail(str(exc))


REDIS = "redis://127.0.0.1:6379"


@pytest.fixture
async def channel() -> str:
    """A Redis channel for this test's nodes alone (Redis must be running: the test fails loudly otherwise)."""
    client = aioredis.from_url(REDIS)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({exc}); run scripts/setup-system.sh")
    finally:
        await client.aclose()
    return f"floorcast-test-{uuid.uuid4().hex}"
