"""Three ``run.py serve`` nodes on one PostgreSQL database and Redis, behind a real HAProxy: a whole session spread
over the nodes, then one node SIGKILLed in the middle of a session.

Clients reach the nodes through the balancer only. Where the node matters, a client sends the balancer's cookie
naming it (as a browser that the balancer sent there would); captioning tools send none and are spread round robin.
These tests run in the PostgreSQL pass (``--database postgresql``) only.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from server.cluster import haproxy
from server.cluster.haproxy import Node

from .conftest import CHAIR, DEMO
from .processes import REDIS_URL, ROOT, Process, free_port, python_run, redis_channel, status, until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]
NODES = ("n1", "n2", "n3")
WAIT = 15  # seconds: every wait on the cluster (three servers and a balancer share two cores with the test)
START = 60  # seconds: three nodes migrating a fresh database and the balancer's first health checks
ALICE = {"name": "Alice Remote", "organisation": "APC", "country": "ZA", "group": "civil", "mode": "remote"}
BOB = {"name": "Bob Onsite", "organisation": "ICANN", "country": "GB", "group": "technical", "mode": "onsite"}
CHEN = {"name": "Chen Wei", "organisation": "CAICT", "country": "CN", "group": "government", "mode": "remote"}


@dataclasses.dataclass
class Cluster:
    """The running nodes, the balancer and how to reach them."""

    base: str
    nodes: dict[str, Process]
    ports: dict[str, int]
    balancer: Process
    stats_socket: Path
    tokens: dict[tuple[str, str | None], str]

    async def server_states(self) -> dict[str, str]:
        """What HAProxy thinks of each node now (``UP``, ``DOWN``, ``UP 1/2`` …), from its runtime API."""
        reader, writer = await asyncio.open_unix_connection(str(self.stats_socket))
        try:
            writer.write(b"show stat\n")
            await writer.drain()
            text = (await asyncio.wait_for(reader.read(), WAIT)).decode()
        finally:
            writer.close()
        rows = csv.reader(io.StringIO(text.lstrip("# ")))
        header = next(rows)
        at = {name: header.index(name) for name in ("pxname", "svname", "status")}
        return {row[at["svname"]]: row[at["status"]] for row in rows
                if len(row) > at["status"] and row[at["pxname"]] == "nodes" and row[at["svname"]] in NODES}


async def start_node(name: str, port: int, data: Path, database: str, channel: str, base: str) -> Process:
    """One node: ``run.py serve`` on its own port, sharing the data directory, the database and Redis."""
    argv = python_run("--data", str(data), "--database", database, "--plain-logs", "--log-level", "WARNING",
                      "serve", "--port", str(port), "--redis-url", REDIS_URL)
    env = {"FLOORCAST_NODE": name, "FLOORCAST_REDIS_CHANNEL": channel, "FLOORCAST_BASE_URL": base,
           "FLOORCAST_HEALTH_INTERVAL": "1"}
    return await Process.start(name, argv, env)


async def read_tokens(data: Path, database: str) -> dict[tuple[str, str | None], str]:
    """Every active link's token, from ``run.py links --json``."""
    proc = await asyncio.create_subprocess_exec(*python_run("--data", str(data), "--database", database, "links",
                                                            "--json"), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    stdout, _ = await asyncio.wait_for(proc.communicate(), WAIT * 2)
    assert proc.returncode == 0
    rows = json.loads(stdout)[0]["links"]
    return {(r["role"], r["session_id"]): r["url"].split("t=")[1] for r in rows}


@pytest.fixture
async def cluster(tmp_path: Path, database_url: str, haproxy_binary: str) -> AsyncIterator[Cluster]:
    """Three nodes on a fresh PostgreSQL database and a unique Redis channel, HAProxy in front, all on ephemeral
    ports; stopped (SIGKILL for whatever does not stop) at the end."""
    data, channel = tmp_path / "data", redis_channel()
    public = free_port()
    base = f"http://127.0.0.1:{public}"
    ports = {name: free_port() for name in NODES}
    nodes: dict[str, Process] = {}
    balancer: Process | None = None
    try:
        for name in NODES:
            nodes[name] = await start_node(name, ports[name], data, database_url, channel, base)
        for name in NODES:
            await until(lambda n=name: status(f"http://127.0.0.1:{ports[n]}/healthz"), START, f"{name} healthy")
        socket_path = tmp_path / "haproxy.sock"
        config = haproxy.render([Node(n, f"127.0.0.1:{ports[n]}") for n in NODES], f"127.0.0.1:{public}",
                                stats_socket=socket_path)
        (tmp_path / "haproxy.cfg").write_text(config)
        balancer = await Process.start("haproxy", [haproxy_binary, "-db", "-f", str(tmp_path / "haproxy.cfg")])
        running = Cluster(base, nodes, ports, balancer, socket_path, {})
        await until(socket_path.exists, WAIT, "the balancer's runtime socket")

        async def all_up() -> bool:
            return set((await running.server_states()).values()) == {"UP"}

        await until(all_up, WAIT, "every node UP in the balancer")
        running.tokens = await read_tokens(data, database_url)
        yield running
    finally:
        for proc in [*nodes.values(), *([balancer] if balancer else [])]:
            await proc.stop(signal.SIGTERM, timeout=20)


# --- clients --------------------------------------------------------------------------------------------------


def node_cookie(node: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The Cookie header of a browser the balancer placed on ``node`` (plus its other cookies)."""
    cookies = {haproxy.COOKIE: node, **(extra or {})}
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


class Client:
    """A Socket.IO client through the balancer that reconnects as the pages do, with an inbox of pushed events."""

    def __init__(self, cluster: Cluster, namespace: str, node: str, auth: dict[str, Any],
                 cookies: dict[str, str] | None = None, events: tuple[str, ...] = ()) -> None:
        self.cluster, self.namespace, self.node = cluster, namespace, node
        self.auth = {"meeting": DEMO, "session": "morning", **auth}
        if namespace == "/moderate":
            self.auth.setdefault("name", CHAIR)  # moderators name themselves before they act
        self.headers = node_cookie(node, cookies)
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                        randomization_factor=0)
        self.items: list[tuple[str, Any]] = []
        self.connects = 0
        self.changed = asyncio.Condition()
        self.sio.on("connect", self._connected, namespace=namespace)
        for name in events:
            self.sio.on(name, self._handler(name), namespace=namespace)

    def auth_now(self) -> dict[str, Any]:
        """The handshake's auth payload (asked again at every reconnection)."""
        return self.auth

    async def _connected(self) -> None:
        async with self.changed:
            self.connects += 1
            self.changed.notify_all()

    def _handler(self, name: str) -> Any:
        async def handle(data: Any = None) -> None:
            await self.on_event(name, data)
            async with self.changed:
                self.items.append((name, data))
                self.changed.notify_all()
        return handle

    async def on_event(self, name: str, data: Any) -> None:
        """Hook for subclasses, before the event is recorded."""

    async def connect(self) -> Client:
        # Headers through a callable: python-engineio takes the Cookie header out of the dict it is given, and a
        # reconnection would come back without it (a browser sends its cookies every time).
        await self.sio.connect(self.cluster.base, namespaces=[self.namespace], auth=self.auth_now,
                               headers=lambda: dict(self.headers), transports=["websocket"], wait_timeout=WAIT)
        return self

    async def call(self, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Emit with an acknowledgement, bounded."""
        reply: dict[str, Any] = await self.sio.call(event, data or {}, namespace=self.namespace, timeout=WAIT)
        return reply

    async def ok(self, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = await self.call(event, data)
        assert reply["ok"] is True, (event, reply)
        return reply

    async def wait_for(self, predicate: Any, timeout: float = WAIT) -> Any:
        """The first recorded (name, data) matching ``predicate``."""
        async def _wait() -> Any:
            async with self.changed:
                while True:
                    for name, data in self.items:
                        if predicate(name, data):
                            return data
                    await self.changed.wait()
        return await asyncio.wait_for(_wait(), timeout)

    async def reconnected(self, timeout: float = WAIT) -> None:
        """Wait until the client has connected again after its first connection."""
        async def _wait() -> None:
            async with self.changed:
                while self.connects < 2:  # the namespace's connect event: the reconnection is complete
                    await self.changed.wait()
        await asyncio.wait_for(_wait(), timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


class Viewer(Client):
    """A caption viewer keeping segments by ``seq`` as the protocol says, resuming with ``last_seq``."""

    def __init__(self, cluster: Cluster, node: str, cookies: dict[str, str] | None = None) -> None:
        super().__init__(cluster, "/live", node, {"lang": "en"}, cookies,
                         ("caption_backlog", "caption_segment", "session_state", "floor_changed", "question_changed"))
        self.held: dict[int, str] = {}
        self.live: list[int] = []  # seq of every caption_segment pushed, in arrival order
        #: Per connection: the last_seq the handshake sent (None: a first visit) and the seqs its backlog held.
        self.resumes: list[tuple[int | None, list[int]]] = []
        self._sent: int | None = None

    def last(self) -> int:
        """The highest contiguous ``seq`` held."""
        n = 0
        while n + 1 in self.held:
            n += 1
        return n

    def auth_now(self) -> dict[str, Any]:
        self._sent = self.last() if self.held else None
        return {**self.auth, "last_seq": self._sent} if self._sent is not None else self.auth

    async def on_event(self, name: str, data: Any) -> None:
        if name == "caption_backlog":
            self.resumes.append((self._sent, [s["seq"] for s in data["segments"]]))
            for segment in data["segments"]:
                self.held.setdefault(segment["seq"], segment["text"])
        elif name == "caption_segment":
            self.live.append(data["seq"])
            self.held.setdefault(data["seq"], data["text"])

    def resumed_exactly(self) -> bool:
        """Every reconnection's backlog held exactly the lines after the last_seq it sent: none twice, none skipped."""
        return all(seqs == list(range(sent + 1, sent + 1 + len(seqs)))
                   for sent, seqs in self.resumes if sent is not None)

    async def holds(self, count: int, timeout: float = WAIT) -> None:
        """Wait until the first ``count`` segments are held; says which are missing when they are not."""
        async def _wait() -> None:
            async with self.changed:
                while self.last() < count:
                    await self.changed.wait()
        try:
            await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            missing = [seq for seq in range(1, count + 1) if seq not in self.held]
            pytest.fail(f"a viewer on {self.node} lacks {len(missing)} of {count} lines after {timeout} s: "
                        f"{missing[:20]}; resumes (last_seq sent, seqs received): {self.resumes}")


async def register(cluster: Cluster, http: aiohttp.ClientSession, body: dict[str, str]) -> dict[str, str]:
    """Register through the balancer; the participant cookie to connect with."""
    token = cluster.tokens[("participant", None)]
    async with http.post(f"{cluster.base}/api/meetings/{DEMO}/participants?t={token}", json=body) as r:
        assert r.status == 201, await r.text()
        return {f"fc_p_{DEMO}": r.cookies[f"fc_p_{DEMO}"].value}


async def stored_captions(cluster: Cluster, http: aiohttp.ClientSession) -> list[dict[str, Any]]:
    async with http.get(f"{cluster.base}/api/meetings/{DEMO}/sessions/morning/captions?lang=en&limit=5000") as r:
        assert r.status == 200
        segments: list[dict[str, Any]] = (await r.json())["segments"]
        return segments


def floor_of(data: Any) -> dict[str, Any]:
    floor: dict[str, Any] = data["floor"]
    return floor


# --- the tests ------------------------------------------------------------------------------------------------


async def test_a_whole_session_spread_over_three_nodes(cluster):
    tokens = cluster.tokens
    clients: list[Client] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        try:
            people = [await register(cluster, http, body) for body in (ALICE, BOB, CHEN)]
            moderator = await Client(cluster, "/moderate", "n2", {"t": tokens[("moderator", "morning")]},
                                     events=("question_changed", "floor_changed", "session_state")).connect()
            captioner = await Client(cluster, "/caption", "n1", {"t": tokens[("captioner", "morning")]},
                                     events=("session_state",)).connect()
            viewers = [await Viewer(cluster, node).connect() for node in NODES]
            alice, bob, chen = [await Client(cluster, "/live", node, {"lang": "en"}, cookies,
                                             ("question_changed", "floor_changed", "session_state")).connect()
                                for node, cookies in zip(NODES, people, strict=True)]
            clients += [moderator, captioner, *viewers, alice, bob, chen]

            started = await moderator.ok("session_start")
            assert started["session"]["state"] == "live"
            for c in [*viewers, alice, bob, chen, captioner]:  # the start reaches every node's clients
                await c.wait_for(lambda n, d: n == "session_state" and d["state"] == "live")

            # Captions from n1 reach every viewer once, in order.
            acked = []
            for i in range(1, 31):
                reply = await captioner.ok("caption_append", {"lang": "en", "text": f"Line {i} of the debate.\n"})
                acked += [(s["seq"], s["text"]) for s in reply["finalised"]]
            assert [seq for seq, _ in acked] == list(range(1, 31))
            for viewer in viewers:
                await viewer.holds(30)
                assert viewer.live == list(range(1, 31)), viewer.node  # each pushed once, in order
                assert [viewer.held[s] for s in range(1, 31)] == [text for _, text in acked]

            # A question asked on n1, screened by the chair on n2, seen published on n3.
            asked = await alice.ok("question_submit", {"text": "How will hubs take the floor?"})
            await moderator.wait_for(lambda n, d: n == "question_changed" and d["question"]["id"] == asked["id"])
            await moderator.ok("question_publish", {"id": asked["id"]})
            await chen.wait_for(lambda n, d: n == "question_changed" and d["question"]["id"] == asked["id"]
                                and d["question"]["status"] == "published")
            await chen.ok("question_vote", {"id": asked["id"]})
            await moderator.ok("question_screen", {"id": asked["id"]})  # on the room screen, seen on n2
            await bob.wait_for(lambda n, d: n == "question_changed" and d["question"]["id"] == asked["id"]
                               and d["question"]["status"] == "on_screen")
            dismissed = await bob.ok("question_submit", {"text": "Is lunch served?"})
            await moderator.ok("question_dismiss", {"id": dismissed["id"], "reason": "off_topic"})

            # The floor: requested on n2 and n3, called by the chair on n2, seen on n1.
            bob_request = await bob.ok("floor_request", {})
            chen_request = await chen.ok("floor_request", {"kind": "normal"})
            called = await moderator.ok("floor_call_next")
            assert called["request_id"] == bob_request["request_id"]
            changed = await alice.wait_for(lambda n, d: n == "floor_changed" and d["floor"]["current"]
                                           and d["floor"]["current"]["request_id"] == bob_request["request_id"])
            assert [line["id"] for line in changed["floor"]["queue"]] == [chen_request["request_id"]]
            reply = await captioner.ok("caption_append", {"lang": "en", "text": "Thank you, Chair.\n"})
            assert reply["finalised"][0]["speaker"] == BOB["name"]  # attributed to the speaker n2 called
            called = await moderator.ok("floor_call_next")
            assert called["request_id"] == chen_request["request_id"]
            await moderator.ok("floor_end")

            ended = await moderator.ok("session_end")
            assert ended["session"]["state"] == "ended"
            for c in [*viewers, alice, bob, chen]:
                await c.wait_for(lambda n, d: n == "session_state" and d["state"] == "ended")
            for viewer in viewers:
                await viewer.holds(31)
                assert viewer.live == list(range(1, 32))
        finally:
            for c in clients:
                await c.close()

        # The record through the balancer, from whichever node answers: complete.
        stored = await stored_captions(cluster, http)
        assert [(s["seq"], s["text"]) for s in stored] == [*acked, (31, "Thank you, Chair.")]
        async with http.get(f"{cluster.base}/m/{DEMO}/s/morning/captions.txt?lang=en") as r:
            transcript = await r.text()
        position = 0
        for _, text in [*acked, (31, "Thank you, Chair.")]:
            position = transcript.index(text, position)
        rapporteur = tokens[("rapporteur", "morning")]
        async with http.get(f"{cluster.base}/m/{DEMO}/s/morning/questions.json?t={rapporteur}") as r:
            assert r.status == 200
            questions = {q["id"]: q for q in (await r.json())["questions"]}
        assert questions[asked["id"]]["status"] == "on_screen" and questions[asked["id"]]["votes"] == 1
        assert questions[dismissed["id"]]["status"] == "dismissed"
        async with http.get(f"{cluster.base}/api/meetings/{DEMO}/sessions/morning/floor/records?t={rapporteur}") as r:
            assert r.status == 200
            records = await r.json()
        speakers = [i["name"] for i in records["interventions"]]
        assert speakers == [BOB["name"], CHEN["name"]]
        assert all(i["end_ms"] for i in records["interventions"])


async def test_a_node_killed_mid_session_loses_nothing_and_the_chair_calls_the_next_speaker_in_time(cluster):
    tokens = cluster.tokens
    clients: list[Client] = []
    victim = "n3"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        try:
            alice_c, bob_c, chen_c = [await register(cluster, http, body) for body in (ALICE, BOB, CHEN)]
            moderator = await Client(cluster, "/moderate", victim, {"t": tokens[("moderator", "morning")]},
                                     events=("floor_changed",)).connect()
            captioner = await Client(cluster, "/caption", "n1", {"t": tokens[("captioner", "morning")]}).connect()
            viewers = [await Viewer(cluster, node).connect() for node in (*NODES, victim)]
            alice = await Client(cluster, "/live", "n1", {"lang": "en"}, alice_c, ("floor_changed",)).connect()
            bob = await Client(cluster, "/live", "n2", {"lang": "en"}, bob_c, ("floor_changed",)).connect()
            chen = await Client(cluster, "/live", victim, {"lang": "en"}, chen_c, ("floor_changed",)).connect()
            clients += [moderator, captioner, *viewers, alice, bob, chen]
            await moderator.ok("session_start")

            # Acknowledged before the kill: floor requests on every node, a call, questions, a vote.
            requests = {who.node: (await who.ok("floor_request"))["request_id"] for who in (alice, bob, chen)}
            assert (await moderator.ok("floor_call_next"))["request_id"] == requests["n1"]
            asked = await bob.ok("question_submit", {"text": "What about remote hubs?"})
            await moderator.ok("question_publish", {"id": asked["id"]})
            own = await chen.ok("question_submit", {"text": "Will the slides be shared?"})
            await chen.ok("question_vote", {"id": asked["id"]})

            # Captions keep coming, from the captioner on n1 and from a captioning tool posting round robin.
            acked: list[tuple[int, str]] = []
            tool_acked: list[str] = []
            conflicts: list[int] = []
            stop = asyncio.Event()
            captioner_token = tokens[("captioner", "morning")]

            async def write() -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    reply = await captioner.ok("caption_append", {"lang": "en", "text": f"Captioner line {i}.\n"})
                    acked.extend((s["seq"], s["text"]) for s in reply["finalised"])
                    # A stenographer's pace, well under the 600-events-in-10-s limit of one connection: on a quiet
                    # machine an unpaced loop reaches it, and its refusal is not what this test is about.
                    await asyncio.sleep(0.02)

            async def tool() -> None:
                seq = 0
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as plain:
                    while not stop.is_set():
                        seq += 1
                        text = f"Tool line {seq}."
                        url = f"{cluster.base}/m/{DEMO}/s/morning/ingest/zoom?t={captioner_token}&seq={seq}&lang=en"
                        while True:  # a tool sends the same seq again until it is acknowledged
                            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                                async with plain.post(url, data=f"{text}\n".encode()) as r:
                                    if r.status == 200:
                                        break
                                    # 502/503: the balancer had no node for it; 409 conflict: another node changed
                                    # the stream first, nothing was stored (docs/API.md: the next try works).
                                    body = await r.text()
                                    assert r.status in (502, 503) or body.startswith("conflict:"), (r.status, body)
                                    conflicts.append(seq)
                            await asyncio.sleep(0.1)  # a tool's retry pause
                        tool_acked.append(text)

            writers = [asyncio.create_task(write()), asyncio.create_task(tool())]

            def written(lines: int, posts: int) -> bool:
                for task in writers:
                    if task.done():
                        task.result()  # a writer that failed says why here
                return len(acked) >= lines and len(tool_acked) >= posts

            await until(lambda: written(20, 5), WAIT,
                        lambda: f"captions before the kill: {len(acked)}, {len(tool_acked)}")

            cluster.nodes[victim].kill()
            killed_at = time.monotonic()

            # The chair's page reconnects through the balancer to a live node and calls the next speaker.
            await moderator.reconnected(WAIT)
            while True:
                reply = await moderator.call("floor_call_next")
                if reply["ok"] or reply["error"]["code"] != "conflict":
                    break  # conflict: another node's copy was out of date; the next try works from the log
            called_after = time.monotonic() - killed_at
            assert reply["ok"] is True, reply
            assert reply["request_id"] == requests["n2"]

            async def balancer_says_down() -> bool:
                return (await cluster.server_states())[victim].startswith("DOWN")

            await until(balancer_says_down, WAIT, f"{victim} DOWN in the balancer")
            marked_down = time.monotonic() - killed_at
            print(f"\ncluster: after SIGKILL of {victim}, the chair called the next speaker in {called_after:.2f} s; "
                  f"HAProxy marked the node down in {marked_down:.2f} s")
            assert called_after < 5

            await until(lambda: written(60, 20), WAIT * 2,
                        lambda: f"captions after the kill: {len(acked)}, {len(tool_acked)}")
            stop.set()
            await asyncio.wait_for(asyncio.gather(*writers), WAIT)
            print(f"cluster: {len(acked)} captioner lines and {len(tool_acked)} tool posts acknowledged; the tool "
                  f"sent {len(conflicts)} posts again after a 502/503 or a 409 conflict")

            # Everyone on the dead node is back, through the balancer, on a live node.
            for c in (chen, viewers[2], viewers[3]):
                await c.reconnected(WAIT)
            stored = await stored_captions(cluster, http)
            texts = [s["text"] for s in stored]
            assert [s["seq"] for s in stored] == list(range(1, len(stored) + 1))
            assert set(acked) <= {(s["seq"], s["text"]) for s in stored}  # every acknowledged line is stored
            assert [t for t in texts if t.startswith("Tool line")] == tool_acked  # once each, in order
            for viewer in viewers:  # every line, in seq order, without asking for any again (captions_since)
                await viewer.holds(len(stored), WAIT)
                assert [viewer.held[s] for s in range(1, len(stored) + 1)] == texts, viewer.node
            for viewer in viewers[2:]:  # on the dead node: resumed where they were
                assert len(viewer.resumes) == 2 and viewer.resumes[1][0] is not None, viewer.resumes
                assert viewer.resumed_exactly(), viewer.resumes
            for viewer in viewers[:2]:
                # Untouched viewers: every line pushed once. Lines written on two nodes at once may arrive in either
                # order (each node publishes its own); the viewer orders them by seq.
                assert len(viewer.resumes) == 1 and sorted(viewer.live) == list(range(1, len(stored) + 1))

            # Question and floor state, asked again after the reconnection as the pages do: nothing lost.
            mine = await chen.ok("floor_state")
            assert mine["mine"] == [requests["n3"]]
            assert mine["floor"]["current"]["request_id"] == requests["n2"]
            assert [line["id"] for line in mine["floor"]["queue"]] == [requests["n3"]]
            listed = {q["id"]: q for q in (await chen.ok("questions_list"))["questions"]}
            assert listed[own["id"]]["status"] == "pending" and listed[own["id"]]["mine"] is True
            assert listed[asked["id"]]["status"] == "published" and listed[asked["id"]]["votes"] == 1
            assert asked["id"] in (await chen.ok("questions_list"))["voted"]
            await alice.wait_for(lambda n, d: n == "floor_changed" and (d["floor"]["current"] or {}).get(
                "request_id") == requests["n2"])
            assert (await moderator.ok("floor_call_next"))["request_id"] == requests["n3"]
            await moderator.ok("session_end")
        finally:
            for c in clients:
                await c.close()


async def test_long_polling_stays_on_one_node_through_the_balancer_cookie(cluster):
    """A browser's Engine.IO long-polling session lives on one node: the balancer's cookie keeps it there."""
    def client(jar: aiohttp.abc.AbstractCookieJar) -> socketio.AsyncClient:
        return socketio.AsyncClient(reconnection=False, http_session=aiohttp.ClientSession(cookie_jar=jar))

    async def poll(sio: socketio.AsyncClient, wait: float = WAIT) -> dict[str, Any]:
        await sio.connect(cluster.base, namespaces=["/live"], auth={"meeting": DEMO, "session": "morning"},
                          transports=["polling"], wait_timeout=wait)
        try:
            replies = [await sio.call("floor_state", {}, namespace="/live", timeout=WAIT) for _ in range(6)]
            assert all(r["ok"] for r in replies)
            return replies[-1]
        finally:
            await sio.disconnect()

    jar = aiohttp.CookieJar(unsafe=True)  # a browser keeps the cookie for 127.0.0.1 too
    sio = client(jar)
    try:
        await poll(sio)
        placed = {c.key: c.value for c in jar}
        assert placed[haproxy.COOKIE] in NODES
    finally:
        await sio.eio.http.close()
    # Without the cookie, the requests of one session are spread over the nodes, and the session is not found.
    sio = client(aiohttp.DummyCookieJar())
    try:
        with pytest.raises((socketio.exceptions.ConnectionError, TimeoutError, AssertionError)):
            await poll(sio, wait=5)
    finally:
        with contextlib.suppress(Exception):
            await sio.disconnect()
        await sio.eio.http.close()
