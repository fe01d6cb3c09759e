"""The floor under a captioner's acknowledgement: one durable commit on this machine's disk.

A caption is acknowledged once it is committed, and the store commits as the server opens it (SQLite in WAL mode
with ``synchronous=FULL``: the log is synced to the disk before the commit returns). This prints, for a file in
``--dir`` (default: the system's temporary directory, where the benches keep their data):

* the time of one ``fdatasync(2)`` after a small append (what the disk takes to make a write durable);
* the time of one SQLite commit of one caption-sized row, as the server's store makes it (one connection, WAL,
  ``synchronous=FULL``), from Python's own ``sqlite3`` (no event loop, no thread hop).

p50, p99 and max over ``--commits`` of each. Compare with ``bench_ack.py --viewers 10``: what the acknowledgement
takes beyond this is the server's own work.

    python bench/bench_commit.py
    python bench/bench_commit.py --dir /work --commits 1000

Bounded in count; the file is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench_fanout import quantile


def fdatasync_times(directory: Path, count: int) -> list[float]:
    """Seconds taken by each of ``count`` fdatasync calls, each after a 200-byte append."""
    fd, name = tempfile.mkstemp(dir=directory, prefix="bench-commit-")
    try:
        times = []
        for _ in range(count):
            os.write(fd, b"x" * 200)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
        return times
    finally:
        os.close(fd)
        os.unlink(name)


def commit_times(directory: Path, count: int) -> list[float]:
    """Seconds taken by each of ``count`` single-row commits in a WAL database with ``synchronous=FULL``."""
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench-commit-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "store.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("CREATE TABLE segments (seq INTEGER PRIMARY KEY, ts INTEGER, text TEXT)")
            times = []
            for seq in range(1, count + 1):
                start = time.perf_counter()
                conn.execute("BEGIN")
                conn.execute("INSERT INTO segments VALUES (?, ?, ?)", (seq, time.time_ns(), "x" * 80))
                conn.execute("COMMIT")
                times.append(time.perf_counter() - start)
            return times
        finally:
            conn.close()


def main() -> None:
    """Parse flags, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    if not 1 <= args.commits <= 100_000:
        parser.error("--commits must be 1..100000")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.commits} of each in {args.dir}")
    for label, times in (("fdatasync after a 200-byte append", fdatasync_times(args.dir, args.commits)),
                         ("SQLite commit, WAL, synchronous=FULL", commit_times(args.dir, args.commits))):
        print(f"{label}: p50 {quantile(times, 50) * 1e3:.2f} ms, p99 {quantile(times, 99) * 1e3:.2f} ms, "
              f"max {max(times) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
