"""The browser's files (client/web), read once when the app is built and served compressed and cacheable.

Each file gets a version, the start of the SHA-256 of what is served. Pages link ``/static/app.js?v=…`` and every
``import "./x.js"`` inside a module is rewritten to ``"./x.js?v=…"``, so a module's version covers the versions of
what it imports: a changed file changes the URL of everything that leads to it, and a versioned URL can be cached
for a year. An unversioned (or stale) URL is still served, with ``no-cache`` and an ETag to revalidate.

Files are compressed ahead of time (gzip, and Brotli) and the smallest coding the client accepts is sent.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

import brotli
from aiohttp import hdrs, web

STATIC_DIR = Path(__file__).resolve().parents[2] / "client" / "web"
#: What a versioned URL may be cached for (a year: its content never changes under it).
IMMUTABLE = "public, max-age=31536000, immutable"
#: An unversioned URL: the browser keeps it but asks (with its ETag) before using it again.
REVALIDATE = "no-cache"
#: Relative module specifiers in ``import … from "./x.js"``, ``import "./x.js"`` and ``import("./x.js")``.
_IMPORT = re.compile(r"""((?:\bfrom|\bimport)\s*\(?\s*)(["'])(\./[^"'?#]+\.js)\2""")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".ico": "image/x-icon"}
#: Files not worth compressing (already compressed formats).
_STORED = frozenset({".ico", ".png", ".woff2"})


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes in each coding, its type and version."""

    content_type: str
    version: str
    codings: dict[str, bytes]  # "identity", and "br"/"gzip" when smaller


class Assets:
    """Every file under a directory, versioned and compressed (built once: the files do not change while serving)."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.root = root
        self._files = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
        self._built: dict[str, Asset] = {}
        for name in self._files:
            self._build(name, ())

    def _build(self, name: str, seen: tuple[str, ...]) -> Asset:
        if name in self._built:
            return self._built[name]
        if name in seen:
            raise ValueError(f"modules import each other in a circle: {' -> '.join((*seen, name))}")
        body = self._files[name].read_bytes()
        suffix = Path(name).suffix
        if suffix == ".js":
            body = self._versioned_imports(name, body, (*seen, name))
        codings = {"identity": body}
        if suffix not in _STORED and len(body) > 256:
            for coding, packed in (("br", brotli.compress(body, quality=11)),
                                   ("gzip", gzip.compress(body, 9, mtime=0))):
                if len(packed) < len(body):
                    codings[coding] = packed
        content_type = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        asset = Asset(content_type, hashlib.sha256(body).hexdigest()[:12], codings)
        self._built[name] = asset
        return asset

    def _versioned_imports(self, name: str, body: bytes, seen: tuple[str, ...]) -> bytes:
        folder = Path(name).parent

        def versioned(match: re.Match[str]) -> str:
            target = (folder / match.group(3)).as_posix()
            if target not in self._files:
                return match.group(0)
            quote, version = match.group(2), self._build(target, seen).version
            return f"{match.group(1)}{quote}{match.group(3)}?v={version}{quote}"

        return _IMPORT.sub(versioned, body.decode("utf-8")).encode("utf-8")

    def get(self, name: str) -> Asset | None:
        """The file served at ``/static/{name}``, if there is one."""
        return self._built.get(name)

    def url(self, name: str) -> str:
        """The versioned URL of a file (for templates); a missing file is a mistake in a template."""
        asset = self._built.get(name)
        if asset is None:
            raise KeyError(f"no static file {name!r} in {self.root}")
        return f"/static/{name}?v={asset.version}"


assets_key = web.AppKey("assets", Assets)
routes = web.RouteTableDef()


def _accepted(header: str) -> set[str]:
    """The codings an ``Accept-Encoding`` header accepts (``q=0`` refuses one)."""
    accepted = set()
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding and not re.search(r"\bq\s*=\s*0(?:\.0*)?\s*$", params.strip()):
            accepted.add(coding.strip())
    return accepted


def respond(request: web.Request, name: str) -> web.Response:
    """Answer with a static file: the best coding accepted, cache headers by version, 304 when the ETag matches."""
    asset = request.app[assets_key].get(name)
    if asset is None:
        raise web.HTTPNotFound()
    etag = f'"{asset.version}"'
    cache = IMMUTABLE if request.query.get("v") == asset.version else REVALIDATE
    headers = {hdrs.ETAG: etag, hdrs.CACHE_CONTROL: cache, hdrs.VARY: hdrs.ACCEPT_ENCODING}
    if etag in request.headers.get(hdrs.IF_NONE_MATCH, ""):
        return web.Response(status=304, headers=headers)
    accepted = _accepted(request.headers.get(hdrs.ACCEPT_ENCODING, ""))
    coding = next((c for c in ("br", "gzip") if c in accepted and c in asset.codings), "identity")
    if coding != "identity":
        headers[hdrs.CONTENT_ENCODING] = coding
    text = asset.content_type.startswith("text/") or asset.content_type == "image/svg+xml"
    return web.Response(body=asset.codings[coding], content_type=asset.content_type,
                        charset="utf-8" if text else None, headers=headers)


@routes.get("/static/{name:.+}", name="static")
async def static_file(request: web.Request) -> web.Response:
    """A file of the browser's code or style."""
    return respond(request, request.match_info["name"])


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.Response:
    """The icon browsers ask for at the root whatever the page links."""
    return respond(request, "favicon.ico")
