"""A real HTTP server on loopback that replays recorded responses, for ingest tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/xml"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


# A route answers a request; it may return different replies on successive calls.
Route = Callable[[Request], Reply]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.base_url = ""

    def route(self, path: str, handler: Route | Reply | list[Reply]) -> None:
        """Serve ``path`` with a handler, a fixed reply, or a list of replies in turn."""
        if isinstance(handler, Reply):
            reply = handler
            self.routes[path] = lambda _request: reply
        elif isinstance(handler, list):
            replies = list(handler)

            def in_turn(_request: Request) -> Reply:
                return replies.pop(0) if len(replies) > 1 else replies[0]

            self.routes[path] = in_turn
        else:
            self.routes[path] = handler

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def serve() -> Iterator[LocalServer]:
    server_state = LocalServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(parts.path, dict(parse_qsl(parts.query)), dict(self.headers))
            server_state.requests.append(request)
            handler = server_state.routes.get(parts.path)
            reply = handler(request) if handler else Reply(404, b"not found", "text/plain")
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
