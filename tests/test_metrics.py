"""``/metrics`` over a real server: the Prometheus text parsed back, figures that follow what real clients do, and
access refused without the token or from another host."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.settings import Settings
from server.web.app import create_app

from .conftest import DEMO, WAIT, Running, ServingTestServer
from .test_health import _fill_the_disk

ROOT = f"/m/{DEMO}/s/morning/ingest"


async def scrape(server: Running, http: aiohttp.ClientSession, **headers: str) -> dict[tuple[str, tuple], float]:
    """Every sample of ``/metrics`` by (sample name, sorted labels)."""
    async with http.get(server.url("/metrics"), headers=headers) as r:
        assert r.status == 200, await r.text()
        assert r.headers["Content-Type"].startswith("text/plain; version=")
        text = await r.text()
    samples: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    """The one sample of ``name`` whose labels include ``labels`` (0 when there is none)."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


async def test_viewers_deliveries_and_ack_latency_follow_real_clients(server, http, live, connect, inbox):
    before = await scrape(server, http)
    assert value(before, "floorcast_connected_viewers", meeting=DEMO, session="morning", namespace="/live") == 0
    viewers = [await connect("/live", session="morning") for _ in range(3)]
    boxes = [inbox(v, "/live", "caption_segment") for v in viewers]
    connected = await scrape(server, http)
    assert value(connected, "floorcast_connected_viewers", meeting=DEMO, session="morning", namespace="/live") == 3
    deliveries = value(connected, "floorcast_caption_deliveries_total")
    acks = value(connected, "floorcast_caption_ack_seconds_count")
    async with http.post(server.url(f"{ROOT}/zoom?t={live}&seq=1"), data=b"Good morning.\nWelcome to Baku.\n") as r:
        assert r.status == 200
    for box in boxes:
        await box.wait_count("caption_segment", 2)
    after = await scrape(server, http)
    # Two lines, each written once to each of the three viewers (the post ends a line: no partial follows).
    assert value(after, "floorcast_caption_deliveries_total") - deliveries == 3 * 2
    assert value(after, "floorcast_caption_ack_seconds_count") == acks + 1
    assert value(after, "floorcast_fanout_seconds_count") >= 1
    assert value(after, "floorcast_slow_viewer_drops_total") == 0
    assert value(after, "floorcast_health_check", check="storage", state="ok") == 1
    for viewer in viewers:
        await viewer.disconnect()
    gone = await scrape(server, http)
    assert value(gone, "floorcast_connected_viewers", meeting=DEMO, session="morning", namespace="/live") == 0


@pytest.mark.sqlite  # fills the SQLite file by lowering its page limit
async def test_a_refused_write_is_counted_by_code(server, http, live):
    before = await scrape(server, http)
    assert value(before, "floorcast_database_errors_total", code="storage_full") == 0
    await _fill_the_disk(server)
    for seq in range(1, 200):
        async with http.post(server.url(f"{ROOT}/zoom?t={live}&seq={seq}"), data=("x" * 3000 + "\n").encode()) as r:
            if r.status == 503:
                break
            assert r.status == 200
    else:
        pytest.fail("the capped database never filled up")
    after = await scrape(server, http)
    assert value(after, "floorcast_database_errors_total", code="storage_full") >= 1
    assert value(after, "floorcast_health_check", check="storage", state="storage_full") == 1
    assert value(after, "floorcast_database_errors_total", code="conflict") == 0


async def _status(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, str]:
    async with http.get(url, headers=headers) as r:
        return r.status, await r.text()


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Running]:
    """A server whose /metrics asks for a token."""
    node = Settings(**{**settings.__dict__, "metrics_token": "s3cret-metrics"})
    async with ServingTestServer(create_app(node), port=0) as srv:
        yield Running(srv, node)


async def test_the_metrics_token_is_required_when_set(guarded, http):
    url = guarded.url("/metrics")
    assert (await _status(http, url))[0] == 403
    assert (await _status(http, url, Authorization="Bearer wrong"))[0] == 403
    assert (await _status(http, url, Authorization="s3cret-metrics"))[0] == 403
    status, text = await _status(http, url, Authorization="Bearer s3cret-metrics")
    assert status == 200 and "floorcast_connected_viewers" in text
    assert "s3cret" not in text


def _outside_address() -> str | None:
    """An address of this host that is not loopback (no packet is sent: a UDP socket only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: Any = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_without_a_token_only_this_host_may_read_metrics(settings, http):
    outside = _outside_address()
    if outside is None:
        pytest.skip("this host has no address other than loopback")
    async with ServingTestServer(create_app(settings), host="0.0.0.0", port=0) as srv:
        assert (await _status(http, f"http://127.0.0.1:{srv.port}/metrics"))[0] == 200
        status, text = await _status(http, f"http://{outside}:{srv.port}/metrics")
        assert status == 403, text
        assert "floorcast_" not in text


async def test_metrics_name_no_token_and_no_text(server, http, live, connect):
    await connect("/live", session="morning")
    async with http.post(server.url(f"{ROOT}/zoom?t={live}&seq=1"), data=b"Secret words here.\n") as r:
        assert r.status == 200
    async with http.get(server.url("/metrics"), timeout=aiohttp.ClientTimeout(total=WAIT)) as r:
        assert r.status == 200
        text = await r.text()
    assert "floorcast_caption_deliveries_total" in text
    assert live not in text and "Secret words" not in text
    for token in (await server.links()).values():
        assert token not in text


@pytest.mark.redis
async def test_an_unreachable_redis_is_counted_and_shown_by_node(settings, http):
    # Nothing listens on port 1: every ping is refused at once.
    node = Settings(**{**settings.__dict__, "redis_url": "redis://127.0.0.1:1", "node": "node-a"})
    async with ServingTestServer(create_app(node), port=0) as srv:
        running = Running(srv, node)
        first = await scrape(running, http)
        second = await scrape(running, http)
    assert value(first, "floorcast_health_check", node="node-a", check="redis", state="redis_unreachable") == 1
    assert value(second, "floorcast_redis_errors_total", node="node-a", source="ping") \
        > value(first, "floorcast_redis_errors_total", node="node-a", source="ping") >= 1
    # The notice channel could not subscribe either: counted, and the start was not held up waiting for it.
    assert value(first, "floorcast_redis_errors_total", node="node-a", source="notices") >= 1
    assert value(first, "floorcast_notices_total", node="node-a", direction="published") == 0
    assert {dict(labels)["node"] for (_, labels) in second if labels} == {"node-a"}
