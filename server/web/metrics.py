"""``GET /metrics``: the meeting's health in the Prometheus text format, counts only (no tokens, names or text).

Each application has its own ``CollectorRegistry``. Most figures are read at scrape time by :class:`Collector`
from what the process already keeps: connected viewers from the Socket.IO rooms, frames written and slow viewers
dropped from the fan-out manager (one addition per emit, never per socket), refused database writes from the
store, Redis failures from the health check and the rate limits, the ``/healthz`` checks, and the sessions whose
floor and questions the process holds in memory. The two latency histograms are observed by the caption hub,
once per caption change.

Access: with ``metrics_token`` set, a request must carry ``Authorization: Bearer <token>``; without it, only
requests from a loopback address are answered. Anything else is refused with ``403 forbidden``.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as BaseCollector

from .errors import Forbidden
from .fanout import FastManager, FastRedisManager
from .health import checks, health_key
from .keys import db_key, limits_key, registry_key, settings_key, sio_key
from .notices import notices_key
from .sessions import session_watch_key

routes = web.RouteTableDef()
#: Latency buckets in seconds: a caption is stored and acknowledged in milliseconds, a stalled disk takes seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: Check states as gauge values.
CHECK_STATES = ("ok", "storage_full", "storage_unavailable", "redis_unreachable", "fanout_stalled")
#: Database refusals counted, always exposed (zero until one happens).
DB_CODES = ("storage_full", "storage_unavailable", "conflict")


class Metrics:
    """One application's registry and the histograms the caption hub observes."""

    def __init__(self, app: web.Application) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        #: Fixed for the process's life: the setting, or the fan-out manager's host id, or the host name.
        self.node = node_name(app)
        # The labelled children are kept, so an observation costs no label lookup.
        self.ack_latency = Histogram(
            "floorcast_caption_ack_seconds", "A caption change from its arrival (ingest URL, bridge or socket) to "
            "stored and acknowledged.", ["node"], buckets=BUCKETS, registry=self.registry).labels(self.node)
        self.fanout_latency = Histogram(
            "floorcast_fanout_seconds", "A final caption line from its broadcast to its frame handed to this "
            "node's last viewer.", ["node"], buckets=BUCKETS, registry=self.registry).labels(self.node)
        manager = app[sio_key].manager
        if isinstance(manager, FastManager | FastRedisManager):
            manager.on_broadcast = self.observe_broadcast
        catch_ups = Counter(
            "floorcast_caption_catch_ups", "Caption streams this node brought up to date because another node had "
            "stored a change: found before a change or a backlog (check), or when storing a change failed because "
            "another node stored one between the check and the write, and the change was applied again (race).",
            ["node", "how"], registry=self.registry)
        self.caption_catch_ups = catch_ups.labels(self.node, "check")
        self.caption_races = catch_ups.labels(self.node, "race")
        self.collector = Collector(app, self.node)
        self.registry.register(self.collector)


    def observe_broadcast(self, event: str, namespace: str, seconds: float) -> None:
        """The fan-out wrote a broadcast to its last viewer: a final caption line to ``/live`` is timed."""
        if event == "caption_segment" and namespace == "/live":
            self.fanout_latency.observe(seconds)


metrics_key = web.AppKey("metrics", Metrics)


def node_name(app: web.Application) -> str:
    """The ``node`` label: the setting, else the fan-out's host id (several processes), else the host name."""
    settings = app[settings_key]
    if settings.node:
        return settings.node
    manager = app[sio_key].manager
    return str(manager.host_id) if isinstance(manager, FastRedisManager) else socket.gethostname()


class Collector(BaseCollector):
    """Figures computed at scrape time from what the process keeps anyway."""

    def __init__(self, app: web.Application, node: str) -> None:
        self.app = app
        self.node = node
        #: ``/healthz`` check verdicts, set by the handler just before each collection (the checks are async).
        self.checks: dict[str, str] = {}

    def collect(self) -> Iterator[Metric]:
        """Every gauge and counter (the registry adds the histograms)."""
        app, node = self.app, self.node
        yield self._viewers(node)
        manager = app[sio_key].manager
        delivered = CounterMetricFamily("floorcast_caption_deliveries", "Frames written to viewers by the fan-out "
                                        "(one per recipient of each emit).", labels=["node"])
        dropped = CounterMetricFamily("floorcast_slow_viewer_drops", "Viewers disconnected because their outbox "
                                      "was full.", labels=["node"])
        if isinstance(manager, FastManager | FastRedisManager):
            delivered.add_metric([node], manager.delivered)
            dropped.add_metric([node], manager.dropped_slow)
        yield delivered
        yield dropped
        db_errors = CounterMetricFamily("floorcast_database_errors", "Database writes refused, by code.",
                                        labels=["node", "code"])
        counted = app[db_key].errors if db_key in app else {}
        for code in DB_CODES:
            db_errors.add_metric([node, code], counted.get(code, 0))
        yield db_errors
        redis_errors = CounterMetricFamily("floorcast_redis_errors", "Redis failures: health pings, canaries "
                                           "not sent, rate-limit store errors.", labels=["node", "source"])
        if health_key in app:
            health = app[health_key]
            redis_errors.add_metric([node, "ping"], health.ping_failures)
            redis_errors.add_metric([node, "canary"], health.canary_failures)
        redis_errors.add_metric([node, "rate_limits"], app[limits_key].store_errors)
        notices = CounterMetricFamily("floorcast_notices", "Change notices between nodes: published by this node, "
                                      "received from the others and caught up with.", labels=["node", "direction"])
        if notices_key in app:
            bus = app[notices_key]
            redis_errors.add_metric([node, "notices"], bus.failures)
            notices.add_metric([node, "published"], bus.published)
            notices.add_metric([node, "received"], bus.received)
        yield redis_errors
        yield notices
        state = GaugeMetricFamily("floorcast_health_check", "The /healthz checks: 1 for the state each is in.",
                                  labels=["node", "check", "state"])
        for check, verdict in sorted(self.checks.items()):
            for name in CHECK_STATES:
                state.add_metric([node, check, name], 1.0 if verdict == name else 0.0)
        yield state
        copies = GaugeMetricFamily("floorcast_session_copies", "Sessions whose floor or questions this node holds "
                                   "in memory (live ones, and others used in the last minute).",
                                   labels=["node", "feature"])
        if session_watch_key in app:
            for keeper in app[session_watch_key].keepers:
                copies.add_metric([node, keeper.feature], keeper.held)
        yield copies

    def _viewers(self, node: str) -> GaugeMetricFamily:
        """Connections in each session's room, per namespace (the rooms ``meeting:{id}:{session}``)."""
        slugs = {loaded.id: loaded.meeting.slug for loaded in self.app[registry_key].loaded()} \
            if registry_key in self.app else {}
        gauge = GaugeMetricFamily("floorcast_connected_viewers", "Socket.IO connections in a session, by "
                                  "namespace, on this node.", labels=["node", "meeting", "session", "namespace"])
        for namespace, by_room in list(self.app[sio_key].manager.rooms.items()):
            for room, members in list(by_room.items()):
                parts = room.split(":") if isinstance(room, str) else []
                if len(parts) != 3 or parts[0] != "meeting" or not parts[1].isdigit():
                    continue
                meeting = slugs.get(int(parts[1]), parts[1])
                gauge.add_metric([node, meeting, parts[2], namespace], len(members))
        return gauge


def allowed(request: web.Request, token: str) -> bool:
    """The bearer token when one is set, otherwise a loopback peer."""
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    try:
        peer = ipaddress.ip_address((request.remote or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        return peer.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1 on a dual-stack socket
    return peer.is_loopback


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """The Prometheus text exposition of this node (see the module docstring for who may read it)."""
    app = request.app
    if not allowed(request, app[settings_key].metrics_token):
        raise Forbidden("Metrics are readable from this host, or with the metrics token.")
    found = app[metrics_key]
    found.collector.checks = await checks(app)
    body = generate_latest(found.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
