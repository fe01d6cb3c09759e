"""Captioner acknowledgement latency while N viewers receive every line (default 5,000).

Starts ``python run.py`` on a loopback port, connects N caption viewers (the minimal client of
``bench_fanout.py``), then a captioner writes lines two ways, one after the other: posts to the Zoom-compatible
ingest URL, and ``caption_append`` over Socket.IO on ``/caption`` (the captioner page's path). For each it prints
the round trip of the post or of the Socket.IO acknowledgement (p50, p99, max) and what the viewers received.

    python bench/bench_ack.py
    python bench/bench_ack.py --viewers 5000 --captions 100 --rate 10 --server-cpu 1

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import socketio
from bench_fanout import SESSION, SLUG, Node, _post, _raise_fd_limit, _tokens, captioner, quantile, start_viewers


async def socket_captioner(base: str, token: str, captions: int, rate: float, first: int) -> list[float]:
    """Append ``captions`` lines at ``rate`` per second with ``caption_append``; returns each ACK's round trip."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(base, namespaces=["/caption"], transports=["websocket"], wait_timeout=30,
                         auth={"meeting": SLUG, "session": SESSION, "t": token, "name": "bench"})
    acks: list[float] = []
    try:
        start = time.monotonic()
        for i in range(captions):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent = time.perf_counter()
            line = f"bench {first + i} {time.time():.6f}\n"
            reply = await client.call("caption_append", {"lang": "en", "text": line}, namespace="/caption", timeout=30)
            if reply.get("ok"):
                acks.append(time.perf_counter() - sent)
    finally:
        await client.disconnect()
    return acks


def run(viewers: int, captions: int, rate: float, workers: int, cpu: str | None) -> dict[str, float]:
    """Both captioner paths against one server with ``viewers`` connected; returns the figures."""
    with TemporaryDirectory() as tmp:
        data = Path(tmp)
        node = Node(data, cpu)
        try:
            tok = _tokens(data)
            asyncio.run(_post(f"{node.base}/api/meetings/{SLUG}/sessions/{SESSION}/start"
                              f"?t={tok[('moderator', SESSION)]}"))
            procs, results, done, connected, _ = start_viewers([node.base], viewers, workers)
            token = tok[("captioner", SESSION)]
            http = asyncio.run(captioner(node.base, token, captions, rate))
            sock = asyncio.run(socket_captioner(node.base, token, captions, rate, captions + 1))
            time.sleep(3.0)  # bounded grace period for the last deliveries
            done.set()
            received = 0
            latencies: list[float] = []
            for _ in procs:
                lat, per_viewer, _index = results.get(timeout=120)
                received += sum(per_viewer)
                latencies += lat
            for p in procs:
                p.join(timeout=30)
        finally:
            node.stop()
    return {"viewers": connected, "http_n": len(http), "http_p50": quantile(http, 50) * 1000,
            "http_p99": quantile(http, 99) * 1000, "http_max": max(http, default=0) * 1000,
            "sock_n": len(sock), "sock_p50": quantile(sock, 50) * 1000, "sock_p99": quantile(sock, 99) * 1000,
            "sock_max": max(sock, default=0) * 1000, "lost": connected * (len(http) + len(sock)) - received,
            "deliv_p99": quantile(latencies, 99) * 1000}


def main() -> None:
    """Parse flags, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--captions", type=int, default=100, help="lines per path")
    parser.add_argument("--rate", type=float, default=5.0, help="lines per second")
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the viewers")
    parser.add_argument("--server-cpu", metavar="CPUS", help="pin the server with taskset (e.g. 1)")
    args = parser.parse_args()
    _raise_fd_limit()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; server CPUs {args.server_cpu or 'any'}")
    r = run(args.viewers, args.captions, args.rate, args.workers, args.server_cpu)
    print(f"{r['viewers']} viewers; ingest POST ack ({r['http_n']:.0f}): p50 {r['http_p50']:.1f} ms, p99 "
          f"{r['http_p99']:.1f} ms, max {r['http_max']:.1f} ms; caption_append ack ({r['sock_n']:.0f}): p50 "
          f"{r['sock_p50']:.1f} ms, p99 {r['sock_p99']:.1f} ms, max {r['sock_max']:.1f} ms; viewers' p99 "
          f"{r['deliv_p99']:.1f} ms, lost {r['lost']:.0f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
