"""Import graph of the server's packages: circles, and the import levels of server/web.

    python scripts/import_graph.py            # circles anywhere under server/ and transcripts/, levels of web

A module is a room, except that a feature package of server/web (captions/, questions/, floor/, rapporteur/,
meetings/) counts as one room; a level is the longest chain of imports below a room (a room importing nothing
of ours is level 1). Imports under ``if TYPE_CHECKING:`` count too: they tie modules as much as any other.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "transcripts")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str) -> set[str]:
    """The modules of ours that one file imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if node.module:  # "from . import x" names modules x, not the package itself
                found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def main() -> int:
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {name: {m for m in imports(path, name) if m in files and m != name} for name, path in files.items()}

    def room(name: str) -> str:
        parts = name.split(".")
        if parts[:2] == ["server", "web"] and len(parts) > 3:
            return ".".join(parts[:3])
        return name

    # Circles between modules (a package's __init__ importing its own modules is not one).
    circles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start and len(path) > 1 and not any(start.startswith(p + ".") for p in path[1:]):
                    circles.append(path)
                elif nxt not in path and nxt > start:
                    stack.append((nxt, [*path, nxt]))
    for circle in circles:
        print("circle:", " -> ".join(circle))
    print(f"import circles: {len(circles)}")

    web = {room(n) for n in graph if n.startswith("server.web")}
    edges: dict[str, set[str]] = {r: set() for r in web}
    for name, targets in graph.items():
        if name.startswith("server.web"):
            edges[room(name)].update(room(t) for t in targets if t.startswith("server.web") and room(t) != room(name))
    for r in edges:
        edges[r].discard("server.web")

    if circles:
        print("server/web import levels: undefined while there are circles")
        return 1

    @cache
    def level(r: str) -> int:
        return 1 + max((level(t) for t in edges[r]), default=0)

    for r in sorted(web, key=lambda r: (-level(r), r)):
        if r != "server.web":
            print(f"level {level(r)}  {r}")
    print(f"server/web import levels: {max(level(r) for r in web)}")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
