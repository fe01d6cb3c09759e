"""``run.py serve --workers N``: real nodes behind a real HAProxy, a worker killed and started again, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from server.cluster import haproxy

from .conftest import DEMO, WAIT
from .processes import REDIS_URL, Process, alive, free_port, python_run, redis_channel, status, until

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]
START = 60  # seconds: nodes migrating a fresh store and HAProxy's first health checks on a busy machine


async def start_cluster(data: Path, database: str, workers: int = 2, *extra: str) -> tuple[Process, str]:
    """The supervisor with its nodes and balancer on an ephemeral public port; returns it and the public URL."""
    port = free_port()
    argv = python_run("--data", str(data), *(("--database", database) if database else ()), "serve",
                      "--workers", str(workers), "--port", str(port), "--redis-url", REDIS_URL, *extra)
    env = {"FLOORCAST_REDIS_CHANNEL": redis_channel(), "FLOORCAST_LOG_JSON": "true", "FLOORCAST_NODE": "t"}
    proc = await Process.start("supervisor", argv, env)
    await proc.wait_line(lambda line: line.startswith("Floorcast is serving "), START)
    return proc, f"http://127.0.0.1:{port}"


def started(proc: Process) -> dict[str, dict[str, object]]:
    """The latest start of each supervised process, by name: pid, address, restarts."""
    return {r["node"]: r for r in proc.records("floorcast.cluster") if "started (pid" in r["msg"]}


async def test_workers_serve_through_the_balancer_and_a_killed_worker_is_started_again(tmp_path, database_url):
    proc, base = await start_cluster(tmp_path / "data", database_url)
    try:
        nodes = started(proc)
        assert sorted(nodes) == ["haproxy", "t-1", "t-2"]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
                assert r.cookies[haproxy.COOKIE].value in ("t-1", "t-2")  # the balancer names the node it chose
            async with http.get(f"{base}/m/{DEMO}") as r:
                assert r.status == 200 and "From Deadlock to Dialogue" in await r.text()
            async with http.get(f"{base}/metrics") as r:
                assert r.status == 404  # never through the balancer: every request would come from loopback
            for name in ("t-1", "t-2"):
                async with http.get(f"http://{nodes[name]['address']}/metrics") as r:
                    assert r.status == 200 and f'node="{name}"' in await r.text()

        victim = nodes["t-2"]
        os.kill(int(victim["pid"]), signal.SIGKILL)

        def restarted() -> bool:
            latest = started(proc).get("t-2", {})
            return latest.get("restarts") == 1 and latest.get("pid") != victim["pid"]

        await until(restarted, 30, "t-2 started again")
        again = started(proc)["t-2"]
        assert again["address"] == victim["address"]  # same port: the balancer's configuration still holds
        assert any("t-2 (pid" in r["msg"] and "exited with signal SIGKILL" in r["msg"]
                   for r in proc.records("floorcast.cluster"))
        await until(lambda: status(f"http://{again['address']}/healthz"), START, "the new t-2 healthy")
        assert started(proc)["t-1"]["restarts"] == 0  # the other node was left alone

        pids = [int(r["pid"]) for r in started(proc).values()]
        assert await proc.stop(signal.SIGTERM, timeout=40) == 0
        assert not [pid for pid in pids if alive(pid)]  # nodes and balancer stopped with it
        assert sum('"shutting down"' in line for line in proc.lines) == 2  # each node shut down gracefully
    finally:
        await proc.stop(signal.SIGKILL)


async def test_more_than_one_worker_needs_redis(tmp_path):
    proc = await Process.start("serve", python_run("--data", str(tmp_path / "d"), "serve", "--workers", "3",
                                                   "--port", str(free_port())), {"FLOORCAST_REDIS_URL": ""})
    assert await proc.exited(30) == 2
    assert proc.lines[-1].endswith("error: --workers 3 needs --redis-url (FLOORCAST_REDIS_URL): the nodes deliver "
                                   "each other's captions, questions and floor changes through Redis")


async def test_a_cluster_that_cannot_start_says_why_and_leaves_nothing_running(tmp_path, haproxy_binary):
    data = tmp_path / "data"
    data.mkdir()
    (data / "link.key").write_bytes(b"short")
    argv = python_run("--data", str(data), "serve", "--workers", "2", "--port", str(free_port()),
                      "--redis-url", REDIS_URL)
    proc = await Process.start("supervisor", argv, {"FLOORCAST_REDIS_CHANNEL": redis_channel()})
    assert await proc.exited(30) == 2
    assert "link.key is damaged" in proc.lines[-1]
    assert not started(proc)

    # The public port taken: HAProxy cannot bind it, the nodes it would have fronted are stopped again.
    taken = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", taken))
        s.listen()
        argv = python_run("--data", str(tmp_path / "d2"), "serve", "--workers", "2", "--port", str(taken),
                          "--redis-url", REDIS_URL)
        proc = await Process.start("supervisor", argv, {"FLOORCAST_REDIS_CHANNEL": redis_channel(),
                                                        "FLOORCAST_LOG_JSON": "true"})
        assert await proc.exited(START) == 2
        assert proc.lines[-1].startswith(f"error: haproxy exited at start (exit code 1); is port {taken} free?")
    pids = [int(r["pid"]) for r in started(proc).values()]
    assert len(pids) == 3 and not [pid for pid in pids if alive(pid)]


def test_each_node_is_handed_this_machines_settings_through_its_environment(tmp_path):
    from server.cluster.supervisor import Supervisor
    from server.settings import Settings

    settings = Settings(data_dir=tmp_path, database="postgresql://db.example.org/floorcast", port=8443, demo=False,
                        redis_url=REDIS_URL, redis_channel="room-a", health_interval=0.5, workers=3,
                        base_url="https://meet.example.org", log_json=False)
    env = Supervisor(settings).node_env("vm-2", 40123, settings.public_base_url())
    node = Settings.from_env(env)
    # Every setting as given, except what makes it one node of several behind the local balancer.
    expected = {**vars(settings), "host": "127.0.0.1", "port": 40123, "node": "vm-2", "workers": 1,
                "trusted_proxies": "127.0.0.1,::1"}
    assert vars(node) == expected
