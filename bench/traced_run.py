"""``run.py`` under tracemalloc, for bench_soak's ``--tracemalloc``: the same server, with snapshots on request.

    python bench/traced_run.py FRAMES run.py-arguments…

Imports the server's modules, starts tracing with ``FRAMES`` frames per traceback (imports traced make start-up
many times slower, and the soak compares what is allocated later), then runs ``run.py`` as its own ``__main__``.
A thread reads standard input: each line ``snapshot PATH`` writes a snapshot of the traced blocks to ``PATH``
(``Snapshot.dump``) and then prints ``tracemalloc snapshot PATH TRACED_BYTES OVERHEAD_BYTES`` on standard error,
so the soak knows the file is complete and how much memory tracing itself takes.
"""

from __future__ import annotations

import sys
import threading
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _serve_snapshots() -> None:
    for line in sys.stdin:
        command, _, path = line.strip().partition(" ")
        if command != "snapshot" or not path:
            continue
        snapshot = tracemalloc.take_snapshot()  # filtered by the reader: filtering here holds the GIL for long
        snapshot.dump(path)
        traced, _peak = tracemalloc.get_traced_memory()
        del snapshot
        print(f"tracemalloc snapshot {path} {traced} {tracemalloc.get_tracemalloc_memory()}", file=sys.stderr,
              flush=True)


def main() -> None:
    """Trace, listen for snapshot requests, run the server."""
    frames = int(sys.argv[1])
    sys.argv = [str(ROOT / "run.py"), *sys.argv[2:]]
    sys.path.insert(0, str(ROOT))
    import runpy

    import server.web.app  # noqa: F401  (imported untraced; run.py finds it in sys.modules)

    tracemalloc.start(frames)
    threading.Thread(target=_serve_snapshots, daemon=True, name="tracemalloc-snapshots").start()
    runpy.run_path(str(ROOT / "run.py"), run_name="__main__")


if __name__ == "__main__":
    main()
