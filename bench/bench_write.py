"""The floor under the fan-out: CPU time of one ``write(2)`` of a caption frame to a loopback TCP socket.

Opens N loopback TCP connections in this process, then writes one caption-sized WebSocket frame to each of them,
``--rounds`` times, from Python (``os.write``, as the fan-out does) and prints the CPU time per write. On loopback
the kernel also runs the receiving side's TCP processing in the writer's system call, so this is what one
delivery costs the server before any Python work; nobody reads the sockets here (no reader is woken), so it is a
lower bound.

    python bench/bench_write.py                    # 5,000 sockets, 10 rounds
    taskset -c 1 python bench/bench_write.py --sockets 8000     # both ends of each socket count as open files

Loopback only; bounded in count (the frames fit in the sockets' buffers).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import time


def measure(sockets: int, rounds: int, size: int) -> tuple[float, float]:
    """(CPU µs per write, wall µs per write) over ``rounds`` rounds of one frame to each of ``sockets`` sockets."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
    port = listener.getsockname()[1]
    clients, servers = [], []
    try:
        for _ in range(sockets):
            clients.append(socket.create_connection(("127.0.0.1", port)))
            conn, _ = listener.accept()
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            servers.append(conn)
        fds = [s.fileno() for s in servers]
        frame = bytes((0x81, 126)) + size.to_bytes(2, "big") + b"x" * size
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(rounds):
            for fd in fds:
                os.write(fd, frame)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        for s in clients + servers:
            s.close()
        listener.close()
    writes = sockets * rounds
    return cpu / writes * 1e6, wall / writes * 1e6


def main() -> None:
    """Parse flags, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--size", type=int, default=200, help="payload bytes of the frame (a caption line)")
    args = parser.parse_args()
    if not 1 <= args.sockets <= 100_000 or not 1 <= args.rounds <= 1000:
        parser.error("--sockets must be 1..100000 and --rounds 1..1000")
    need = 2 * args.sockets + 64  # both ends of each connection are in this process
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, need), max(hard, need)))
    except (ValueError, OSError):  # only a privileged process may raise its hard limit
        if need > hard:
            parser.error(f"--sockets {args.sockets} needs {need} open files; this process may have {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cpu_us, wall_us = measure(args.sockets, args.rounds, args.size)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.sockets} loopback sockets x {args.rounds} rounds of a "
          f"{args.size + 4}-byte frame: {cpu_us:.2f} us CPU, {wall_us:.2f} us wall per write(2)")


if __name__ == "__main__":
    main()
