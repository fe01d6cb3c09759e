"""``run.py`` with its memory open to inspection, for bench_soak's ``--tracemalloc`` and ``--census``.

    python bench/traced_run.py FRAMES run.py-arguments…

Imports the server's modules, starts tracing with ``FRAMES`` frames per traceback (0: no tracing; imports traced
make start-up many times slower, and the soak compares what is allocated later), then runs ``run.py`` as its own
``__main__``. A thread reads standard input, one command a line:

* ``snapshot PATH`` writes a snapshot of the traced blocks to ``PATH`` (``Snapshot.dump``) and then prints
  ``tracemalloc snapshot PATH TRACED_BYTES OVERHEAD_BYTES`` on standard error, so the soak knows the file is
  complete and how much memory tracing itself takes;
* ``census PATH`` collects garbage and counts by type (``module.qualname``) what the collection found unreachable
  (reference cycles: memory freed only by a collection) and the live objects the collector tracks; writes both,
  and the blocks the collection freed, to ``PATH`` as JSON, then prints ``census PATH OBJECTS``. A type whose live
  count climbs with the load is what keeps memory growing; a type in the garbage is made into cycles, which the
  server's rare full collections (``run.py`` raises the thresholds and freezes start-up's objects) leave in memory
  for long. The live objects frozen at start-up are not counted;
* ``holders PATH TYPE`` writes, for up to 20 live objects of the type named ``TYPE`` (as in a census), the chain
  of what refers to each (frames skipped), up to a module or a class (``holders PATH COUNT`` when done).
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _count(items: list[object]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        name = _name(type(item))
        counts[name] = counts.get(name, 0) + 1
    return counts


def _census(path: str) -> None:
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collection finds unreachable is kept in gc.garbage, to be counted
    try:
        blocks = sys.getallocatedblocks()
        gc.collect()
        garbage = _count(gc.garbage)
        gc.garbage.clear()
    finally:
        gc.set_debug(0)
    gc.collect()  # what was kept for counting is still in cycles: freed now, or the next census counts it again
    freed = blocks - sys.getallocatedblocks()
    live = _count(gc.get_objects())
    Path(path).write_text(json.dumps({"live": live, "garbage": garbage, "freed_blocks": freed}), encoding="utf-8")
    print(f"census {path} {sum(live.values())}", file=sys.stderr, flush=True)


def _describe(item: object) -> str:
    text = repr(item) if isinstance(item, (str, int, float, tuple)) else ""
    return f"{_name(type(item))} {text[:80]}".rstrip()


def _holders(path: str, kind: str) -> None:
    """For up to 20 objects of type ``kind``, the chain of referrers (the first one that is not a frame or this
    function's own lists), up to 12 links or a module or class."""
    gc.collect()
    found = [item for item in gc.get_objects() if _name(type(item)) == kind][-20:]
    chains: list[list[str]] = []
    for item in found:
        chain, seen, current = [_describe(item)], {id(found), id(chains)}, item
        for _ in range(12):
            seen.add(id(current))
            referrers = [r for r in gc.get_referrers(current)
                         if id(r) not in seen and type(r).__name__ != "frame" and r is not found]
            if not referrers:
                break
            current = referrers[0]
            del referrers  # or the next link's referrers would include this list
            chain.append(_describe(current) if not isinstance(current, dict) else
                         "dict keys " + ", ".join(map(str, list(current)[:6]))[:120])
            if isinstance(current, type) or type(current).__name__ == "module":
                break
        chains.append(chain)
    del found
    Path(path).write_text(json.dumps(chains, indent=1), encoding="utf-8")
    print(f"holders {path} {len(chains)}", file=sys.stderr, flush=True)


def _serve_commands() -> None:
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        path, _, kind = rest.partition(" ")
        if command == "census" and path:
            _census(path)
        elif command == "holders" and path and kind:
            _holders(path, kind)
        elif command == "snapshot" and path:
            _snapshot(path)


def _snapshot(path: str) -> None:
    snapshot = tracemalloc.take_snapshot()  # filtered by the reader: filtering here holds the GIL for long
    snapshot.dump(path)
    traced, _peak = tracemalloc.get_traced_memory()
    del snapshot
    print(f"tracemalloc snapshot {path} {traced} {tracemalloc.get_tracemalloc_memory()}", file=sys.stderr,
          flush=True)


def main() -> None:
    """Trace (when asked), listen for commands, run the server."""
    frames = int(sys.argv[1])
    sys.argv = [str(ROOT / "run.py"), *sys.argv[2:]]
    sys.path.insert(0, str(ROOT))
    import runpy

    import server.web.app  # noqa: F401  (imported untraced; run.py finds it in sys.modules)

    if frames:
        tracemalloc.start(frames)
    threading.Thread(target=_serve_commands, daemon=True, name="memory-commands").start()
    runpy.run_path(str(ROOT / "run.py"), run_name="__main__")


if __name__ == "__main__":
    main()
