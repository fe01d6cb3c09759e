"""HAProxy in front of Floorcast nodes: the configuration rendered from ``deploy/haproxy.cfg.j2``, and the binary.

The template is the deployment's real configuration, kept in ``deploy/`` for operators to read and adapt; only the
node list, the listening address and a few knobs are filled in here.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import jinja2

#: The template, at the root of the source tree next to ``server/``.
TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg.j2"
#: The cookie the balancer inserts to keep a browser on one node.
COOKIE = "floorcast_node"
#: Where Debian installs the binary (``/usr/sbin`` is not on every user's PATH).
DEBIAN_BINARY = Path("/usr/sbin/haproxy")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


class HAProxyMissing(Exception):
    """The haproxy binary cannot be found; the message says how to install it."""


@dataclasses.dataclass(frozen=True)
class Node:
    """One Floorcast node as the balancer sees it: its name (also its cookie value) and ``host:port``."""

    name: str
    address: str

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"node name {self.name!r}: use letters, digits, '.', '-' or '_' (at most 63)")
        host, sep, port = self.address.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"node address {self.address!r}: expected HOST:PORT")


def parse_node(text: str, index: int) -> Node:
    """``[NAME=]HOST:PORT`` from the command line; unnamed nodes are called ``node1``, ``node2``, …"""
    name, sep, address = text.partition("=")
    return Node(name, address) if sep else Node(f"node{index}", text)


def render(nodes: list[Node], bind: str, *, stats_socket: Path | None = None, secure_cookie: bool = False,
           verbose: bool = False) -> str:
    """The configuration for ``nodes`` behind ``bind`` (``HOST:PORT`` or ``:PORT``).

    :param stats_socket: a Unix socket for HAProxy's runtime API (``show servers state``), none when omitted.
    :param secure_cookie: mark the node cookie ``Secure`` (the public URL is https).
    :param verbose: log every request (``info``) rather than node state changes and errors only (``notice``).
    """
    if not nodes:
        raise ValueError("at least one node is needed")
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise ValueError(f"node names must differ: {', '.join(names)}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    return env.get_template(TEMPLATE.name).render(
        nodes=nodes, bind=bind, cookie=COOKIE, stats_socket=stats_socket, secure_cookie=secure_cookie,
        log_level="info" if verbose else "notice")


def binary(configured: str = "haproxy") -> str:
    """The haproxy executable to run: ``configured`` found on PATH (or a path), else Debian's ``/usr/sbin/haproxy``."""
    found = shutil.which(configured)
    if found:
        return found
    if configured == "haproxy" and DEBIAN_BINARY.is_file():
        return str(DEBIAN_BINARY)
    raise HAProxyMissing(f"{configured}: HAProxy is not installed (Debian: apt-get install haproxy, or run "
                         "bash scripts/setup-system.sh); set FLOORCAST_HAPROXY to its path if it is elsewhere")
