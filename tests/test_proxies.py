"""Behind a balancer: X-Forwarded-For names the client when the peer is a trusted proxy, and only then."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import aiohttp
import pytest

from server.web.app import create_app

from .conftest import DEMO, WAIT, Running, ServingTestServer
from .processes import ROOT

ALICE = {"name": "Alice Remote", "organisation": "APC", "country": "ZA", "group": "civil", "mode": "remote"}


async def registrations(settings, trusted: str, forwarded: list[str | None]) -> list[int]:
    """The status of one registration per X-Forwarded-For value, with one registration per address allowed."""
    settings = dataclasses.replace(settings, register_ip_rate="1/600", trusted_proxies=trusted)
    async with ServingTestServer(create_app(settings), port=0) as srv:
        settings.port = srv.port
        running = Running(srv, settings)
        token = await running.token("participant")
        out = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            for value in forwarded:
                headers = {"X-Forwarded-For": value} if value else {}
                async with http.post(running.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=ALICE,
                                     headers=headers) as r:
                    out.append(r.status)
        return out


async def test_a_trusted_balancer_names_each_client(settings):
    # Two people behind the balancer are two addresses; the same one again is limited.
    statuses = await registrations(settings, "127.0.0.1", ["203.0.113.7", "198.51.100.3, 203.0.113.8",
                                                           "203.0.113.7"])
    assert statuses == [201, 201, 429]


async def test_a_chain_of_trusted_proxies_is_passed_over_to_the_client(settings):
    # A CDN (10.x, trusted) in front of the balancer: the client is the last address that is no trusted proxy.
    trusted = "127.0.0.1,10.0.0.0/8"
    # One client through two CDN nodes is one client; two clients through one CDN node are two.
    assert await registrations(settings, trusted, ["203.0.113.7, 10.1.2.3", "198.51.100.3, 10.1.2.3",
                                                   "203.0.113.7, 10.7.7.7, 10.1.2.4"]) == [201, 201, 429]
    # What a client writes into the header itself stays to the left of the address the first proxy saw.
    assert await registrations(settings, trusted, ["192.0.2.1, 203.0.113.9, 10.1.2.3",
                                                   "192.0.2.2, 203.0.113.9, 10.1.2.5"]) == [201, 429]


@pytest.mark.parametrize("trusted", ["", "10.9.9.9,192.168.0.0/16"])
async def test_anyone_else_cannot_choose_its_address(settings, trusted):
    # The header comes from a peer that is not a trusted proxy: every request counts for the peer itself.
    assert await registrations(settings, trusted, ["203.0.113.7", "203.0.113.8"]) == [201, 429]


async def test_a_header_that_is_no_address_is_ignored(settings):
    assert await registrations(settings, "127.0.0.1", ["not-an-address", None]) == [201, 429]


def test_a_trusted_proxy_that_is_no_address_stops_the_start():
    out = subprocess.run([sys.executable, "run.py", "serve", "--port", "0"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30, env={"FLOORCAST_TRUSTED_PROXIES": "10.0.0.1,balancer", "PATH": "/usr/bin"})
    assert out.returncode == 2
    assert out.stderr.strip().endswith("error: FLOORCAST_TRUSTED_PROXIES: 'balancer' is not an address or a network")
