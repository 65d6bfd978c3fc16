"""Security headers on every response: pages, JSON, feeds, static files, errors (500s too).

A pure ASGI middleware: the header list is built once per app, and a response pays for one
wrapped ``send`` and one list concatenation (the board pages serve thousands of requests/s).

The Content-Security-Policy allows nothing inline: no ``<script>`` blocks, no ``on*=``
attributes, no ``style=`` attributes or ``<style>`` blocks. Scripts, styles and fonts come
from this origin only (``/static/``), so an injected tag that slipped past escaping and nh3
still cannot run script or load anything from elsewhere. SVG presentation attributes
(``fill=``, ``stroke=``) are not styles and stay allowed.

Exceptions, by path, are few and deliberate:

- URLs carrying a signed token in the query (``?token=``: confirm, unsubscribe, manage,
  password reset) get ``Referrer-Policy: no-referrer``, so the token never travels in a
  Referer header, not even to this site's own static files or the next page.
- FastAPI's interactive API docs (``/docs``, ``/redoc``) are third-party pages that load from
  a CDN and run inline script: they get a policy that allows exactly that, and no user
  content is ever rendered into them.

``Strict-Transport-Security`` is sent only when PAPERBOARD_BASE_URL is https: over plain http
browsers ignore it, and a development server must stay reachable over http.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# Swagger UI and ReDoc as FastAPI serves them: assets from jsDelivr, an inline start-up
# script, ReDoc's fonts from Google and its web worker from a blob: URL.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
REFERRER_POLICY = "strict-origin-when-cross-origin"
TOKEN_REFERRER_POLICY = "no-referrer"
# Only features Chromium and Firefox know: an unknown one is a console warning on every page.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# A year, without includeSubDomains: other hosts under the operator's domain are not ours
# to force onto https. Operators who want it (or preload) add it at their proxy.
HSTS = "max-age=31536000"


def security_headers(
    *, https: bool, csp: str = CONTENT_SECURITY_POLICY, referrer: str = REFERRER_POLICY
) -> Headers:
    """The headers every response gets (ASGI form: lower-case names, bytes)."""
    headers = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": referrer,
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": PERMISSIONS_POLICY,
    }
    if https:
        headers["strict-transport-security"] = HSTS
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to each HTTP response. A header the application already
    set (a route with its own Referrer-Policy, say) is kept, not duplicated."""

    def __init__(self, app: ASGIApp, *, https: bool, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.headers = security_headers(https=https)
        self.token_headers = security_headers(https=https, referrer=TOKEN_REFERRER_POLICY)
        self.docs_headers = security_headers(https=https, csp=DOCS_CONTENT_SECURITY_POLICY)
        self.docs_paths = frozenset(docs_paths)
        self.names = frozenset(name for name, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"token=" in scope.get("query_string", b""):
            extra = self.token_headers
        elif scope["path"] in self.docs_paths:
            extra = self.docs_headers
        else:
            extra = self.headers
        names = self.names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                for name, _ in headers:
                    if name in names:  # rare: keep the application's own value
                        own = {name for name, _ in headers}
                        headers += [item for item in extra if item[0] not in own]
                        break
                else:
                    headers += extra
                # A new dict: a replayed (cached) message must not collect our headers.
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, *, https: bool) -> None:
    """Wrap the whole middleware stack, outside Starlette's ``ServerErrorMiddleware``: a
    middleware added with ``add_middleware`` sits inside it and would miss the 500 page."""
    docs_paths = [
        path
        for path in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
        if path is not None
    ]
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build(), https=https, docs_paths=docs_paths)

    # Starlette builds the stack on the first request through this method.
    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
