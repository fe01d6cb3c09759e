"""Every setting of the service: one dataclass with defaults and help text.

``run.py`` is the only place that reads the environment or the command line; everything else receives a
``Settings`` instance.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _field(default: Any, help: str, env: str | None = None, **kw: Any) -> Any:
    return dataclasses.field(default=default, metadata={"help": help, "env": env}, **kw)


@dataclasses.dataclass
class Settings:
    """Configuration of one Floorcast process."""

    data_dir: Path = _field(Path("data"), "Directory holding the link key and the SQLite database (WAL mode).",
                            "FLOORCAST_DATA")
    database: str = _field("", "The database: a SQLite file, or a PostgreSQL URL such as "
                           "postgresql://127.0.0.1:5432/floorcast (created when missing) for several nodes sharing one "
                           "store (default: floorcast.db in the data directory).", "FLOORCAST_DATABASE")
    host: str = _field("127.0.0.1", "Address to listen on.", "FLOORCAST_HOST")
    port: int = _field(8080, "TCP port to listen on.", "FLOORCAST_PORT")
    base_url: str = _field("", "Public base URL used in printed links (default: http://HOST:PORT).",
                           "FLOORCAST_BASE_URL")
    redis_url: str = _field("", "Redis URL for Socket.IO fan-out and change notices across several processes "
                            "(empty: single process).", "FLOORCAST_REDIS_URL")
    redis_channel: str = _field("floorcast", "Redis pub/sub channel shared by the processes of one deployment "
                                "(their change notices use CHANNEL:notices).", "FLOORCAST_REDIS_CHANNEL")
    log_level: str = _field("INFO", "Log level: DEBUG, INFO, WARNING or ERROR.", "FLOORCAST_LOG_LEVEL")
    log_json: bool = _field(True, "Write logs as one JSON object per line (false: plain text).", "FLOORCAST_LOG_JSON")
    demo: bool = _field(True, "Load the demo meeting at start when the database holds no meeting.", "FLOORCAST_DEMO")
    caption_backlog: int = _field(50, "Finalised caption segments a late joiner receives first.",
                                  "FLOORCAST_CAPTION_BACKLOG")
    caption_idle_flush_ms: int = _field(2000, "Finalise a caption tail after this many ms without new text.",
                                        "FLOORCAST_CAPTION_IDLE_FLUSH_MS")
    outbox_limit: int = _field(256, "Packets queued for one viewer before it is dropped as too slow (it then resumes).",
                               "FLOORCAST_OUTBOX_LIMIT")
    cookie_secure: bool = _field(False, "Mark session cookies Secure even when the base URL is not https (always "
                                 "marked when it is).", "FLOORCAST_COOKIE_SECURE")
    allowed_origins: str = _field("", "More origins (comma-separated, e.g. https://alt.example.org) allowed to open "
                                  "Socket.IO connections and post forms, besides the base URL's (without a base URL: "
                                  "the request's own host).", "FLOORCAST_ALLOWED_ORIGINS")
    frame_origins: str = _field("", "Origins (comma-separated) allowed to frame the OBS overlay and the room screen "
                                "(empty: none; every other page may never be framed).", "FLOORCAST_FRAME_ORIGINS")
    register_ip_rate: str = _field("60/600", "Registrations from one IP address: COUNT/SECONDS (raise it when many "
                                   "register from one network, e.g. a venue's Wi-Fi).",
                                   "FLOORCAST_REGISTER_IP_RATE")
    register_link_rate: str = _field("600/60", "Registrations through one join link: COUNT/SECONDS.",
                                     "FLOORCAST_REGISTER_LINK_RATE")
    question_ip_rate: str = _field("30/60", "Questions from one IP address, whoever registered: COUNT/SECONDS "
                                   "(raise it when many take part from one network).",
                                   "FLOORCAST_QUESTION_IP_RATE")
    vote_rate: str = _field("30/60", "Votes and unvotes of one participant: COUNT/SECONDS.", "FLOORCAST_VOTE_RATE")
    floor_rate: str = _field("6/60", "Floor requests and withdrawals of one participant: COUNT/SECONDS.",
                             "FLOORCAST_FLOOR_RATE")
    socket_event_rate: str = _field("600/10", "Socket.IO events one connection may send: COUNT/SECONDS.",
                                    "FLOORCAST_SOCKET_EVENT_RATE")
    question_max_length: int = _field(500, "Maximum length of a question, in characters.",
                                      "FLOORCAST_QUESTION_MAX_LENGTH")
    question_rate: str = _field("3/60", "Questions one participant may submit: COUNT/SECONDS.",
                                "FLOORCAST_QUESTION_RATE")
    summary_template: str = _field("", "Jinja2 Markdown file replacing the bundled chair's summary draft in rapporteur "
                                   "packs (empty: the bundled template).", "FLOORCAST_SUMMARY_TEMPLATE")
    count_igo_as: str = _field("persons", "Default counting of intergovernmental organisations in figures: persons "
                               "or organisations.", "FLOORCAST_COUNT_IGO_AS")
    count_on_behalf: str = _field("speaker", "Default counting of statements on behalf of a group of states: speaker "
                                  "(counts for the speaker's country) or exclude.", "FLOORCAST_COUNT_ON_BEHALF")
    health_interval: float = _field(5.0, "Seconds between the canary messages each process sends itself through "
                                    "Redis; /healthz is unhealthy when none came back for three intervals.",
                                    "FLOORCAST_HEALTH_INTERVAL")
    metrics_interval: float = _field(60.0, "Seconds between metrics log lines (memory, open files, tasks, "
                                     "connections, rooms); 0: none.", "FLOORCAST_METRICS_INTERVAL")
    metrics_token: str = _field("", "Bearer token that /metrics asks for (Authorization: Bearer TOKEN); empty: "
                                "/metrics answers requests from a loopback address only.", "FLOORCAST_METRICS_TOKEN")
    node: str = _field("", "This process's name in the node label of /metrics (default: the Redis fan-out's host "
                       "id with Redis, else the host name).", "FLOORCAST_NODE")
    trusted_proxies: str = _field("", "Addresses or networks (comma-separated, e.g. 10.0.0.5,192.168.1.0/24) of the "
                                  "load balancers and other proxies in front of this node: the last address in their "
                                  "X-Forwarded-For that is none of them counts for the rate limits per address "
                                  "(empty: none; --workers sets 127.0.0.1).",
                                  "FLOORCAST_TRUSTED_PROXIES")
    workers: int = _field(1, "Node processes to run on this machine: more than 1 starts that many nodes on internal "
                          "ports behind HAProxy on --host/--port, restarts any that dies, and needs --redis-url.",
                          "FLOORCAST_WORKERS")
    haproxy: str = _field("haproxy", "The HAProxy executable started in front of the nodes when workers > 1 (Debian's "
                          "haproxy package).", "FLOORCAST_HAPROXY")
    shutdown_timeout: float = _field(10.0, "Seconds to wait for open connections on SIGTERM.",
                                     "FLOORCAST_SHUTDOWN_TIMEOUT")

    def database_target(self) -> str | Path:
        """The PostgreSQL URL, or the SQLite file (by default inside the data directory)."""
        if self.database.startswith(("postgresql://", "postgres://")):
            return self.database
        return Path(self.database) if self.database else Path(self.data_dir) / "floorcast.db"

    def public_base_url(self) -> str:
        """The base URL for links, without a trailing slash."""
        if self.base_url:
            return self.base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def secure_cookies(self) -> bool:
        """Whether cookies carry ``Secure``: asked for, or the service is public over https."""
        return self.cookie_secure or self.base_url.lower().startswith("https://")

    def public_origins(self) -> list[str]:
        """The origins pages are served from: the base URL's and the extra ones (empty without either)."""
        found = [_origin(self.base_url)] if self.base_url else []
        found += [_origin(o) for o in self.allowed_origins.split(",") if o.strip()]
        return found

    def framing_origins(self) -> list[str]:
        """The origins that may frame the overlay and the room screen."""
        return [_origin(o) for o in self.frame_origins.split(",") if o.strip()]

    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The trusted proxies as networks; a ValueError names an entry that is neither an address nor a network."""
        out = []
        for entry in (e.strip() for e in self.trusted_proxies.split(",")):
            if entry:
                try:
                    out.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise ValueError(f"FLOORCAST_TRUSTED_PROXIES: {entry!r} is not an address or a network") from None
        return out

    def to_env(self) -> dict[str, str]:
        """Every setting as the ``FLOORCAST_*`` variable that gives it this value (for a child process)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.metadata["env"]] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out

    @classmethod
    def describe(cls) -> list[tuple[str, str, Any, str]]:
        """(name, environment variable, default, help) for every setting."""
        rows = []
        for f in dataclasses.fields(cls):
            rows.append((f.name, f.metadata["env"], f.default, f.metadata["help"]))
        return rows

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``FLOORCAST_*`` variables, then explicit overrides (command-line flags)."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            env = f.metadata["env"]
            if env and env in environ:
                values[f.name] = _convert(f.default, environ[env], env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, without path or trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _convert(default: Any, raw: str, name: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{name}: expected true or false, got {raw!r}")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw)
    return raw
