"""Where a profiled server's time went: shares of a ``py-spy record --format raw`` file (collapsed stacks).

Prints the share of all samples each function took itself (the leaf of the stack) and the share of the samples
it was anywhere on the stack (itself and what it called), the ``--top`` largest of each. The raw files come from
``bench_fanout.py --profile DIR --profile-stacks`` or ``bench_reconnect.py --profile FILE.txt``.

    python bench/profile_summary.py prof/fanout-10000-node1.txt
    python bench/profile_summary.py storm.txt --top 40

py-spy samples every thread; a thread waiting on a queue (SQLite's) counts too, so read the shares of the event
loop's thread against the event loop's own inclusive share (``BaseEventLoop.run_forever``).
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path


def summarise(path: Path) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    """(samples, samples per leaf function, samples per function anywhere on the stack)."""
    own: collections.Counter[str] = collections.Counter()
    anywhere: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        for frame in set(frames):
            anywhere[frame] += samples
    return total, own, anywhere


def main() -> None:
    """Parse flags, sum, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw", type=Path, help="a py-spy raw (collapsed stacks) file")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total, own, anywhere = summarise(args.raw)
    if not total:
        parser.error(f"{args.raw}: no samples")
    print(f"{total} samples")
    for title, counts in (("itself", own), ("itself and what it called", anywhere)):
        print(f"-- share of the samples in the function {title}")
        for frame, samples in counts.most_common(args.top):
            print(f"{samples / total * 100:6.1f}%  {frame[:160]}")


if __name__ == "__main__":
    main()
