"""A local HTTP server replaying recorded real GitHub API exchanges (the demo and the tests).

Recordings are PyGithub's ReplayData files (the demo ships four in ``demo/data/github-api``,
the tests read more from ``../shared/data/github-api/pygithub``): each exchange is ten lines
(scheme, method, host, port, path, request headers, request body, status, response headers,
response body) and a blank line. The server answers on 127.0.0.1 only, rewrites
``https://api.github.com`` in headers (and bodies, unless told not to) to its own address,
and matches a request by method and path, with ``page`` as the only query parameter that
counts (the client asks for ``state=all&per_page=100``, the recordings used other
parameters; the pages themselves are what was served). An unrecorded path gets 404. ETags
are honoured: a request whose ``If-None-Match`` equals the recorded ETag gets 304.

Tests layer synthetic behaviour, labelled as such, on top for cases recordings lack:
``script`` maps a path to answers served before the recorded one (a 503, a rate limit...);
a ``script`` key may name one page (``/path?page=5``); ``fallback`` answers unrecorded paths.
"""

from __future__ import annotations

import ast
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def read_recording(path: Path) -> list[Exchange]:
    lines = path.read_text(encoding="utf-8").split("\n")
    exchanges, i = [], 0
    while i + 9 < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        method, target = lines[i + 1], lines[i + 4]
        status = int(lines[i + 7])
        headers = [(str(k), str(v)) for k, v in ast.literal_eval(lines[i + 8])]
        exchanges.append(Exchange(method, target, status, headers, lines[i + 9].encode("utf-8")))
        i += 10
    return exchanges


def route(method: str, target: str) -> tuple[str, str, str]:
    parts = urlsplit(target)
    page = parse_qs(parts.query).get("page", ["1"])[0]
    return method, parts.path.rstrip("/"), page


@dataclass
class ReplayServer:
    exchanges: list[Exchange]
    script: dict[str, list[tuple[int, dict[str, str], bytes]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # request bodies, in request order
    # Synthetic answers for paths no recording has, e.g. an empty listing: (status, body).
    fallback: Callable[[str], tuple[int, bytes] | None] | None = None
    # False: bodies as recorded (pagination follows headers, which are always rewritten), so
    # a store gets the same payloads whichever port the server had
    rewrite_bodies: bool = True

    def __post_init__(self) -> None:
        self.routes: dict[tuple[str, str, str], list[Exchange]] = defaultdict(list)
        for exchange in self.exchanges:
            self.routes[route(exchange.method, exchange.path)].append(exchange)
        self.served: dict[tuple[str, str, str], int] = defaultdict(int)
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.answer(self)

            def do_POST(self) -> None:
                replay.answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.requests.append((handler.command, handler.path, headers))
        length = int(headers.get("content-length") or 0)
        self.bodies.append(handler.rfile.read(length) if length else b"")
        path = urlsplit(handler.path).path.rstrip("/")
        page_key = f"{path}?page={route(handler.command, handler.path)[2]}"
        scripted = self.script.get(page_key) or self.script.get(path)
        if scripted:
            status, extra, body = scripted.pop(0)
            self._send(handler, status, list(extra.items()), body)
            return
        key = route(handler.command, handler.path)
        found = self.routes.get(key)
        if not found and self.fallback and (answer := self.fallback(path)) is not None:
            self._send(handler, answer[0], [], answer[1])
            return
        if not found:
            self._send(handler, 404, [], b'{"message": "Not Found (no recording)"}')
            return
        exchange = found[min(self.served[key], len(found) - 1)]
        self.served[key] += 1
        etag = dict((k.lower(), v) for k, v in exchange.headers).get("etag")
        if etag and headers.get("if-none-match") == etag:
            self._send(handler, 304, [("etag", etag)], b"")
            return
        self._send(handler, exchange.status, exchange.headers, exchange.body)

    def _send(self, handler: BaseHTTPRequestHandler, status: int,
              headers: list[tuple[str, str]], body: bytes) -> None:  # fmt: skip
        if self.rewrite_bodies:
            body = body.replace(b"https://api.github.com", self.url.encode())
        handler.send_response(status)
        for name, value in headers:
            if name.lower() in ("status", "content-length", "transfer-encoding", "connection",
                                "content-encoding"):  # fmt: skip
                continue
            handler.send_header(name, value.replace("https://api.github.com", self.url))
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
