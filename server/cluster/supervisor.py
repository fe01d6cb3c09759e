"""``run.py serve --workers N``: N node processes on internal ports and HAProxy in front, kept running.

Every node is an ordinary ``run.py serve`` process with the same settings (database, Redis, data directory and so
the same ``link.key``), listening on a loopback port picked at start and named in ``FLOORCAST_NODE``. HAProxy
listens on the public address with the configuration rendered from ``deploy/haproxy.cfg.j2``. A node that exits
is started again on the same port (after a pause that grows while it keeps dying at once); so is HAProxy. SIGTERM
or SIGINT stops the nodes gracefully (each tells its clients and finishes its writes) and then the balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from ..settings import Settings
from ..storage.keyfile import KeyProblem, load_or_create_key
from ..storage.postgres import redacted
from . import haproxy
from .haproxy import Node

log = logging.getLogger("floorcast.cluster")
#: ``run.py`` at the root of the source tree: each node runs it as ``serve``.
RUN_PY = Path(__file__).resolve().parents[2] / "run.py"
#: The first pause before starting a dead process again, and the longest (seconds).
RESTART_MIN, RESTART_MAX = 0.2, 5.0
#: A process that ran this long before dying is restarted after the shortest pause again (seconds).
STABLE_AFTER = 30.0
#: How long a node may take to answer /healthz with 200 at the first start (seconds).
START_TIMEOUT = 60.0
#: Added to the nodes' own shutdown timeout before a node still running on stop is killed (seconds).
STOP_GRACE = 5.0


class ClusterError(Exception):
    """The cluster cannot start; the message is one line for the operator."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def describe_exit(code: int) -> str:
    """``exit code 1`` or ``signal SIGKILL`` for a child's return code."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclasses.dataclass
class Child:
    """One supervised process: what to run, and the running instance."""

    name: str
    argv: Sequence[str]
    env: dict[str, str]
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0

    async def spawn(self) -> asyncio.subprocess.Process:
        """Start the process (standard output and error are the supervisor's)."""
        self.proc = await asyncio.create_subprocess_exec(*self.argv, env=self.env, stdin=asyncio.subprocess.DEVNULL)
        return self.proc

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.proc is not None and self.proc.returncode is None


class Supervisor:
    """Runs the nodes and the balancer of one machine until told to stop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = asyncio.Event()
        self.nodes: list[tuple[Node, Child]] = []
        self.balancer: Child | None = None
        self._keepers: list[asyncio.Task[None]] = []

    def node_env(self, name: str, port: int, base_url: str) -> dict[str, str]:
        """The environment of one node: this machine's settings, its own name and port, one worker."""
        # The nodes' only peer is the local balancer: its X-Forwarded-For names the client.
        node = dataclasses.replace(self.settings, host="127.0.0.1", port=port, node=name, workers=1, base_url=base_url,
                                   trusted_proxies=self.settings.trusted_proxies or "127.0.0.1,::1")
        return {**os.environ, **node.to_env()}

    def public_base_url(self) -> str:
        """The base URL the nodes print in links: the balancer's (none for a wildcard address without --base-url,
        so that browsers may use whichever address reaches the machine)."""
        if self.settings.base_url or self.settings.host not in ("0.0.0.0", "::", ""):
            return self.settings.public_base_url()
        return ""

    def plan(self, runtime: Path) -> str:
        """Pick the ports, describe every child, and return the balancer's configuration."""
        settings = self.settings
        if settings.port == 0:
            settings.port = free_port(settings.host or "127.0.0.1")
        prefix = settings.node or socket.gethostname().split(".")[0] or "node"
        base_url = self.public_base_url()
        for i in range(1, settings.workers + 1):
            port = free_port()
            node = Node(f"{prefix}-{i}", f"127.0.0.1:{port}")
            self.nodes.append((node, Child(node.name, [sys.executable, str(RUN_PY), "serve"],
                                           self.node_env(node.name, port, base_url))))
        host = settings.host
        bind = f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}"
        config = haproxy.render([n for n, _ in self.nodes], bind, stats_socket=runtime / "haproxy.sock",
                                secure_cookie=settings.secure_cookies(), verbose=settings.log_level == "DEBUG")
        path = runtime / "haproxy.cfg"
        path.write_text(config, encoding="utf-8")
        self.balancer = Child("haproxy", [haproxy.binary(settings.haproxy), "-db", "-f", str(path)], dict(os.environ))
        return config

    async def run(self) -> int:
        """Start everything, serve until SIGTERM or SIGINT, stop everything; the exit status."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        try:
            load_or_create_key(self.settings.data_dir)  # once, before N processes look for it
            with tempfile.TemporaryDirectory(prefix="floorcast-haproxy-") as runtime:
                try:
                    self.plan(Path(runtime))
                    return await self._serve()
                finally:
                    await self._stop()
        except (ClusterError, KeyProblem, haproxy.HAProxyMissing) as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 2

    async def _serve(self) -> int:
        await asyncio.gather(*(child.spawn() for _, child in self.nodes))
        for node, child in self.nodes:
            self._started(node.name, child, node.address)
        await self._until_healthy()
        if self.stopping.is_set():
            return 0
        assert self.balancer is not None
        await self.balancer.spawn()
        self._started("haproxy", self.balancer, None)
        await self._until_balancing()
        if self.stopping.is_set():
            return 0
        self._keepers = [asyncio.create_task(self._keep(child, node.address)) for node, child in self.nodes]
        self._keepers.append(asyncio.create_task(self._keep(self.balancer, None)))
        url = self.settings.public_base_url()
        log.info("cluster serving", extra={"url": url, "nodes": [n.name for n, _ in self.nodes]})
        database = f" --database {redacted(self.settings.database)}" if self.settings.database else ""
        print(f"Floorcast is serving {url}/ from {len(self.nodes)} nodes behind HAProxy (data in "
              f"{self.settings.data_dir}; role links: python run.py --data {self.settings.data_dir}{database} links)",
              file=sys.stderr, flush=True)
        await self.stopping.wait()
        return 0

    def _started(self, name: str, child: Child, address: str | None) -> None:
        assert child.proc is not None
        where = f" on {address}" if address else ""
        log.info(f"{name} started (pid {child.proc.pid}){where}",
                 extra={"node": name, "pid": child.proc.pid, "address": address, "restarts": child.restarts})

    async def _until_healthy(self) -> None:
        """Wait until every node answers /healthz with 200; a node that exits first is an error."""
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            for node, child in self.nodes:
                while not await _answers(http, f"http://{node.address}/healthz"):
                    assert child.proc is not None
                    if child.proc.returncode is not None:
                        raise ClusterError(f"node {node.name} exited at start ({describe_exit(child.proc.returncode)})")
                    if self.stopping.is_set():
                        return
                    if time.monotonic() > deadline:
                        raise ClusterError(f"node {node.name} did not become healthy within {START_TIMEOUT:.0f} s")
                    await asyncio.sleep(0.1)  # polling another process's readiness, bounded by the deadline

    async def _until_balancing(self) -> None:
        """Wait until the balancer answers on the public port; exiting first (port taken, bad config) is an error."""
        host = "127.0.0.1" if self.settings.host in ("0.0.0.0", "::", "") else self.settings.host
        url = f"http://{'[' + host + ']' if ':' in host else host}:{self.settings.port}/healthz"
        deadline = time.monotonic() + START_TIMEOUT
        assert self.balancer is not None and self.balancer.proc is not None
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while not await _answers(http, url):
                if self.balancer.proc.returncode is not None:
                    raise ClusterError(f"haproxy exited at start ({describe_exit(self.balancer.proc.returncode)}); "
                                       f"is port {self.settings.port} free?")
                if self.stopping.is_set():
                    return
                if time.monotonic() > deadline:
                    raise ClusterError(f"haproxy did not answer on {url} within {START_TIMEOUT:.0f} s")
                await asyncio.sleep(0.1)  # polling another process's readiness, bounded by the deadline

    async def _keep(self, child: Child, address: str | None) -> None:
        """Start ``child`` again whenever it exits, until the cluster stops."""
        pause = RESTART_MIN
        while True:
            assert child.proc is not None
            started = time.monotonic()
            code = await child.proc.wait()
            if self.stopping.is_set():
                return
            if time.monotonic() - started > STABLE_AFTER:
                pause = RESTART_MIN
            log.warning(f"{child.name} (pid {child.proc.pid}) exited with {describe_exit(code)}; starting it again in "
                        f"{pause:.1f} s", extra={
                "node": child.name, "pid": child.proc.pid, "status": describe_exit(code), "pause_s": pause})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), pause)
            if self.stopping.is_set():
                return
            pause = min(pause * 2, RESTART_MAX)  # the next pause, should it die again soon
            try:
                child.restarts += 1
                await child.spawn()
            except OSError:
                log.exception("cannot start process", extra={"node": child.name})
                continue
            self._started(child.name, child, address)

    async def _stop(self) -> None:
        """SIGTERM to every node, soft stop for the balancer; SIGKILL whatever is still running after the grace."""
        self.stopping.set()
        for task in self._keepers:
            task.cancel()
        for task in self._keepers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        nodes = [child for _, child in self.nodes if child.running]
        for child in nodes:
            assert child.proc is not None
            child.proc.send_signal(signal.SIGTERM)
        balancer = self.balancer if self.balancer is not None and self.balancer.running else None
        if balancer is not None and balancer.proc is not None:
            balancer.proc.send_signal(signal.SIGUSR1)  # stop listening, let open connections end (hard-stop-after)
        grace = self.settings.shutdown_timeout + STOP_GRACE
        for child in [*nodes, *([balancer] if balancer else [])]:
            assert child.proc is not None
            try:
                await asyncio.wait_for(child.proc.wait(), grace)
            except TimeoutError:
                log.warning(f"{child.name} (pid {child.proc.pid}) did not stop in time; killed",
                            extra={"node": child.name, "pid": child.proc.pid})
                child.proc.kill()
                await child.proc.wait()
        log.info("cluster stopped")


async def _answers(http: aiohttp.ClientSession, url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        async with http.get(url) as r:
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
