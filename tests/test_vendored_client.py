"""The Socket.IO client the pages import is the ES module build of the npm package pinned in package.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDORED = ROOT / "client" / "web" / "vendor" / "socket.io.esm.min.js"
PACKAGE = ROOT / "node_modules" / "socket.io-client"


def test_vendored_socketio_is_the_pinned_esm_build():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["socket.io-client"]
    banner = re.search(r"Socket\.IO v(\S+)", VENDORED.read_text(encoding="utf-8")[:200])
    assert banner and banner.group(1) == pinned
    assert (ROOT / "client" / "web" / "vendor" / "socket.io-client.LICENSE").exists()
    if not PACKAGE.exists():
        pytest.fail(f"{PACKAGE} is missing: run scripts/setup-system.sh")
    assert json.loads((PACKAGE / "package.json").read_text())["version"] == pinned
    assert VENDORED.read_bytes() == (PACKAGE / "dist" / "socket.io.esm.min.js").read_bytes(), (
        "copy node_modules/socket.io-client/dist/socket.io.esm.min.js to client/web/vendor/ after changing the version")
