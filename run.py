"""Floorcast command line: serve the service, load a meeting file, print role links.

Reads flags and ``FLOORCAST_*`` environment variables into :class:`server.settings.Settings`; nothing else in the
project reads the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from server.settings import Settings


def _settings_epilog() -> str:
    lines = ["settings (flag or environment variable, default):"]
    for _name, env, default, help_text in Settings.describe():
        lines.append(f"  {env:<34} {help_text} [default: {default}]")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    # SUPPRESS: a flag given before the command must not be reset by the command's own parser.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--data", metavar="DIR", help="data directory holding floorcast.db and link.key [data]")
    common.add_argument("--database", metavar="URL", help="SQLite file or postgresql://HOST:PORT/NAME (created when "
                        "missing) [DIR/floorcast.db]")
    common.add_argument("--base-url", help="public base URL for printed links [http://HOST:PORT]")
    common.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level [INFO]")
    common.add_argument("--plain-logs", action="store_true", help="plain-text logs instead of JSON lines")
    parser = argparse.ArgumentParser(
        prog="python run.py", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Floorcast: live captions, moderated questions and floor queues for multistakeholder meetings.",
        epilog=_settings_epilog())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", parents=[common], help="run the service (the default command)",
                           description="Serve pages, the API and Socket.IO from one process. Loads the demo meeting "
                                       "when the database holds no meeting (see --no-demo).")
    _serve_flags(serve)
    _serve_flags(parser)
    load = sub.add_parser("load", parents=[common], help="create or update a meeting from its TOML file",
                          description="Validate FILE and create or update its meeting. Loading an unchanged file "
                                      "changes nothing; an invalid file changes nothing and lists each problem "
                                      "with its line and field.")
    load.add_argument("file", type=Path, help="meeting file (see examples/enhanced-cooperation-2012.toml)")
    links = sub.add_parser("links", parents=[common], help="print every role link of a meeting",
                           description="Print the admin, join, moderator, captioner and rapporteur links of every "
                                       "session as absolute URLs, to mail to the people who hold those roles.")
    links.add_argument("--meeting", metavar="SLUG", help="the meeting (default: every meeting)")
    links.add_argument("--json", action="store_true", help="print JSON instead of a table")
    export = sub.add_parser("export", parents=[common], help="write a meeting's or a session's transcripts, figures "
                            "and summary draft", description="Export from the database: the rapporteur's pack (a zip "
                            "of transcripts in every format, figures, annex and the summary draft), the JSON record, "
                            "or one transcript format for one session. A whole meeting shows one progress line per "
                            "session on standard error.")
    export.add_argument("--meeting", metavar="SLUG", required=True, help="the meeting")
    export.add_argument("--session", metavar="ID", help="one session (default: the whole meeting)")
    export.add_argument("--format", default="pack", choices=EXPORT_FORMATS,
                        help="pack (zip), json, or a transcript format for one session [pack]")
    export.add_argument("-o", "--output", metavar="OUT", type=Path,
                        help="output file (default: SLUG[-SESSION].EXT in the current directory; - for stdout)")
    export.add_argument("--lang", help="caption language of a transcript format (default: the meeting's first); "
                        "the summary draft's language in a pack: en, ar, zh, fr, ru or es (default: en)")
    export.add_argument("--version", dest="transcript_version", default="latest", metavar="raw|latest|N",
                        help="raw captions, the latest edited version, or version N of one session [latest]")
    export.add_argument("--igo", choices=("persons", "organisations"),
                        help="count intergovernmental organisations as persons or organisations [setting]")
    balancer = sub.add_parser("haproxy-config", parents=[common], help="print an HAProxy configuration for nodes "
                              "on any machines", description="Print deploy/haproxy.cfg.j2 filled in for the given "
                              "nodes: WebSocket pass-through, a cookie that keeps each browser on one node, health "
                              "checks on /healthz, round robin for clients without the cookie. Check it with "
                              "haproxy -c -f FILE. See docs/DEPLOY.md.")
    balancer.add_argument("--node", dest="nodes", action="append", required=True, metavar="[NAME=]HOST:PORT",
                          help="a node's address as the balancer reaches it (repeat for each node; NAME, also the "
                               "cookie value, defaults to node1, node2, …)")
    balancer.add_argument("--bind", default=":8080", metavar="[HOST]:PORT",
                          help="the balancer's public address [:8080, every address]")
    balancer.add_argument("--secure-cookie", action="store_true",
                          help="mark the balancer's cookie Secure (the public URL is https)")
    export.add_argument("--on-behalf", choices=("speaker", "exclude"),
                        help="whether statements on behalf of a group count for the speaker's country [setting]")
    return parser


EXPORT_FORMATS = ("pack", "json", "txt", "vtt", "srt", "html", "docx")
#: Connections the kernel may hold waiting for accept() (capped by net.core.somaxconn).
LISTEN_BACKLOG = 4096


def _serve_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=argparse.SUPPRESS, help="address to listen on [127.0.0.1]")
    p.add_argument("--port", type=int, default=argparse.SUPPRESS, help="TCP port [8080]")
    p.add_argument("--redis-url", default=argparse.SUPPRESS,
                   help="Redis URL for Socket.IO fan-out and change notices across processes [none]")
    p.add_argument("--no-demo", action="store_true", default=argparse.SUPPRESS,
                   help="do not load the demo meeting at start")
    p.add_argument("--workers", type=int, metavar="N", default=argparse.SUPPRESS,
                   help="run N nodes on internal ports behind HAProxy on --host/--port, restarting any that dies "
                        "(N > 1 needs --redis-url; see docs/DEPLOY.md) [1]")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Environment first, then flags."""
    data = getattr(args, "data", None)
    overrides: dict[str, Any] = {
        "data_dir": Path(data) if data else None,
        "database": getattr(args, "database", None),
        "base_url": getattr(args, "base_url", None),
        "log_level": getattr(args, "log_level", None),
        "log_json": False if getattr(args, "plain_logs", False) else None,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "redis_url": getattr(args, "redis_url", None),
        "demo": False if getattr(args, "no_demo", None) else None,
        "workers": getattr(args, "workers", None),
    }
    return Settings.from_env(**overrides)


async def _open(settings: Settings) -> tuple[Any, bytes]:
    from server.storage.db import open_database
    from server.storage.keyfile import load_or_create_key

    return await open_database(settings.database_target()), load_or_create_key(settings.data_dir)


async def cmd_load(settings: Settings, path: Path) -> int:
    """Load a meeting file; print what happened or every problem."""
    from server.clock import now_ms
    from server.domain.meetings.file import MeetingFileError
    from server.loading import load_meeting_file

    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    db, key = await _open(settings)
    try:
        slug, changed, issued = await load_meeting_file(db, key, path, now_ms())
    except MeetingFileError as exc:
        for problem in exc.problems:
            print(f"{path}:{problem.line}: {problem.field}: {problem.message}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(f"meeting {slug}: {'created or updated' if changed else 'unchanged'}; {issued} new link(s) issued")
    if issued:
        print(f"print the links with: python run.py links --meeting {slug}")
    return 0


async def cmd_links(settings: Settings, slug: str | None, as_json: bool) -> int:
    """Print the active links of one or every meeting."""
    from server.storage import meetings as meetings_db
    from server.web.links import link_rows

    db, key = await _open(settings)
    try:
        slugs = [slug] if slug else [m["slug"] for m in await meetings_db.list_meetings(db)]
        out: list[dict[str, Any]] = []
        for s in slugs:
            meeting_id, meeting = await meetings_db.load_meeting(db, s)
            names = {h.id: h.name for h in await meetings_db.hubs(db, meeting_id)}
            rows = link_rows(settings.public_base_url(), meeting, await meetings_db.active_links(db, key, meeting_id),
                             names)
            out.append({"meeting": s, "title": meeting.title, "links": rows})
    except Exception as exc:  # NotFound for a wrong slug
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    if as_json:
        print(json.dumps(out, indent=2))
        return 0
    for m in out:
        print(f"# {m['title']} ({m['meeting']})")
        for row in m["links"]:
            print(f"{row['label']:<24} {row['scope'][:40]:<40} {row['url']}")
            for kind, url in row.get("ingest", {}).items():
                print(f"{'  ingest ' + kind:<24} {'':<40} {url}")
    return 0


class Progress:
    """One line on standard error, rewritten per session when it is a terminal: ``[3/12] afternoon …``."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        bar = "#" * (20 * done // total) + "-" * (20 - 20 * done // total)
        line = f"[{done}/{total}] {bar} {label} …"
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self, message: str) -> None:
        """End the progress line with a summary."""
        self.stream.write(("\r" + message.ljust(self.width) if self.tty else message) + "\n")
        self.stream.flush()


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    """Export a meeting or a session from the database."""
    from server.domain import revisions
    from server.domain.errors import DomainError
    from server.exports import meeting_export, session_export
    from server.storage import meetings as meetings_db
    from transcripts import pack
    from transcripts.formats import writer
    from transcripts.language import LANGUAGES
    from transcripts.model import MeetingRecord, Transcript
    from transcripts.summary import CountingRules

    fmt = args.format
    if fmt not in ("pack", "json") and not args.session:
        print(f"error: --format {fmt} is one session's transcript: add --session ID", file=sys.stderr)
        return 2
    try:
        version = revisions.parse_version(args.transcript_version)
        rules = CountingRules(igo_as=args.igo or settings.count_igo_as,
                              on_behalf=args.on_behalf or settings.count_on_behalf)
    except (DomainError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if fmt == "pack" and args.lang is not None and args.lang not in LANGUAGES:
        print(f"error: no summary draft in language {args.lang!r} (languages: {', '.join(LANGUAGES)})",
              file=sys.stderr)
        return 2
    template = Path(settings.summary_template) if settings.summary_template else None
    if template is not None and not template.is_file():
        print(f"error: summary template {template} does not exist (FLOORCAST_SUMMARY_TEMPLATE)", file=sys.stderr)
        return 1
    db, _ = await _open(settings)
    progress = Progress()
    try:
        meeting_id, meeting = await meetings_db.load_meeting(db, args.meeting)
        lives = await meetings_db.load_session_lives(db, meeting_id, meeting)
        if args.session:
            meeting.session(args.session)
            lang = args.lang or meeting.default_language
            export = await session_export(db, meeting_id, meeting, lives[args.session],
                                          lang if fmt not in ("pack", "json") else None, version)
            record: Any = Transcript.from_dict(export)
        else:
            if version not in (0, None):
                raise DomainError("a whole meeting exports raw or latest versions only", code="invalid_format")
            export = await meeting_export(db, meeting_id, meeting, lives, version, progress)
            record = MeetingRecord.from_dict(export)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    if fmt == "pack":
        data: bytes = pack.build(record, rules=rules, template=template, language=args.lang)
    elif fmt == "json":
        data = (json.dumps(export, ensure_ascii=False, indent=1) + "\n").encode()
    else:
        rendered = writer(fmt).render(record, lang=record.language(args.lang))
        data = rendered if isinstance(rendered, bytes) else rendered.encode()
    ext = {"pack": "zip"}.get(fmt, fmt)
    out = args.output or Path(f"{args.meeting}{'-' + args.session if args.session else ''}.{ext}")
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            out.write_bytes(data)
        except OSError as exc:
            print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    sessions = 1 if args.session else len(meeting.sessions)
    progress.finish(f"wrote {out} ({len(data):,} bytes, {sessions} session{'s' if sessions != 1 else ''})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from server.web import logs

    logs.configure(settings.log_level, settings.log_json)
    if args.command == "load":
        return asyncio.run(cmd_load(settings, args.file))
    if args.command == "links":
        return asyncio.run(cmd_links(settings, args.meeting, args.json))
    if args.command == "export":
        return asyncio.run(cmd_export(settings, args))
    if args.command == "haproxy-config":
        return cmd_haproxy_config(args)
    try:
        settings.trusted_proxy_networks()
    except ValueError as exc:
        parser.error(str(exc))
    if settings.workers < 1:
        parser.error("--workers: expected 1 or more")
    if settings.workers > 1:
        if not settings.redis_url:
            parser.error(f"--workers {settings.workers} needs --redis-url (FLOORCAST_REDIS_URL): the nodes deliver "
                         "each other's captions, questions and floor changes through Redis")
        from server.cluster.supervisor import Supervisor

        return asyncio.run(Supervisor(settings).run())
    return run_event_loop(serve(settings))


def cmd_haproxy_config(args: argparse.Namespace) -> int:
    """Print the balancer's configuration for the given nodes."""
    from server.cluster import haproxy

    try:
        nodes = [haproxy.parse_node(text, i) for i, text in enumerate(args.nodes, start=1)]
        print(haproxy.render(nodes, args.bind, secure_cookie=args.secure_cookie), end="")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_event_loop(main_coro: Any) -> int:
    """Run the server on uvloop when it is installed (faster socket writes for large rooms), else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main_coro)
    return uvloop.run(main_coro)


async def serve(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then shut down gracefully: sockets told, writes finished, database closed."""
    import gc
    import logging
    import signal

    from aiohttp import web

    from server.storage.db import DatabaseProblem
    from server.storage.keyfile import KeyProblem
    from server.web import serving
    from server.web.app import create_app

    app = create_app(settings)
    runner = serving.runner(app, settings.shutdown_timeout)
    try:
        # Start-up checks (the database's quick_check and a write, the key's length) fail here, before listening.
        await runner.setup()
        # Thousands of viewers reconnect at once after a network blip or a restart: with aiohttp's default accept
        # queue (128) the kernel drops most of their SYNs and they come back only after 1, 3, 7 s of TCP backoff.
        site = web.TCPSite(runner, settings.host, settings.port, backlog=LISTEN_BACKLOG)
        await site.start()
    except (DatabaseProblem, KeyProblem, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        await runner.cleanup()
        return 2
    settings.port = runner.addresses[0][1]  # the real one for port 0 (the only site's first socket)
    logging.getLogger("floorcast").info("listening", extra={"url": settings.public_base_url()})
    own = f"http://{settings.host}:{settings.port}"
    if settings.node and not settings.public_base_url().startswith(own):  # one node of several behind a balancer
        print(f"Floorcast node {settings.node} is listening on {own} for {settings.public_base_url()}/",
              file=sys.stderr, flush=True)
    else:
        print(f"Floorcast is serving {settings.public_base_url()}/  (data in {settings.data_dir}; role links: "
              f"python run.py --data {settings.data_dir} links)", file=sys.stderr, flush=True)
    # Thousands of open connections make every full garbage collection walk all of their objects, stalling the
    # event loop for hundreds of milliseconds in the middle of a caption broadcast. Objects alive at start-up
    # are moved out of the collector's way, and young collections run less often.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logging.getLogger("floorcast").info("shutting down")
    await runner.cleanup()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
