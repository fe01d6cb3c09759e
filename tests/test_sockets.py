"""The Socket.IO command tables: every wire event has one handler per namespace, a docstring, and a line in
docs/API.md; a handler is found by grepping its event name."""

from __future__ import annotations

import inspect
import re
from collections import Counter
from pathlib import Path

from server.web.app import COMMANDS
from server.web.sockets import NAMESPACES

ROOT = Path(__file__).resolve().parents[1]


def test_each_event_has_one_handler_per_namespace():
    pairs = Counter((c.namespace, c.event) for table in COMMANDS for c in table.commands)
    assert pairs and all(n == 1 for n in pairs.values()), [p for p, n in pairs.items() if n > 1]
    assert {ns for ns, _ in pairs} <= set(NAMESPACES)


def test_each_handler_is_found_by_grepping_its_event_name():
    for table in COMMANDS:
        for command in table.commands:
            source = inspect.getsource(inspect.getmodule(command.handler))
            pattern = rf'@commands\.command\("{re.escape(command.event)}"[^)]*\)\n(@commands[^\n]*\n)*async def ' \
                      rf'{command.handler.__name__}\('
            assert re.search(pattern, source), command.event
            assert command.handler.__doc__, command.event


def test_each_event_is_documented():
    doc = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    events = {c.event for table in COMMANDS for c in table.commands}
    assert [e for e in sorted(events) if f"`{e}`" not in doc] == []
