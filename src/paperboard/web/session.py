"""Who is asking: the session and CSRF machinery every page, form and the JSON API use.

Sessions are server-side: the ``pb_session`` cookie holds a random token whose SHA-256 is a
row of ``sessions`` (so signing out, a password reset or an admin can end a session at once).
Cookies are HttpOnly and SameSite=Lax, and Secure when the request came over https or
PAPERBOARD_BASE_URL is https.

CSRF, two layers: every form carries a token that is an HMAC of the session token (or, before
signing in, of the ``pb_csrf`` cookie), which another site can neither read nor compute; and a
form post whose ``Origin`` (or ``Sec-Fetch-Site``) says it came from another site is refused
whatever it carries. The JSON write API takes no cookies (Bearer tokens only), so it needs
neither.

Pages stay cacheable: ``CommunityMiddleware`` resolves the viewer only for requests that
carry a session cookie, and pages/papers.py builds signed-in pages afresh (never from the cache).
"""

from __future__ import annotations

import logging
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Form, Path, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperboard.community.accounts import Client
from paperboard.community.errors import CommunityError, NotSignedIn
from paperboard.community.service import Community
from paperboard.storage.users import User
from paperboard.web.deps import get_community, runtime_of
from paperboard.web.errors import PageError, error_response

log = logging.getLogger(__name__)

SESSION_COOKIE = "pb_session"
CSRF_COOKIE = "pb_csrf"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE_S = 30 * 24 * 3600
# No form here takes more than a comment (10,000 characters); anything near this is abuse.
MAX_BODY_BYTES = 1024 * 1024
MAX_FIELD_CHARS = 1024

# --- the community service of an app -----------------------------------------------------------


CommunityDep = Annotated[Community, Depends(get_community)]


# --- who is asking: per-request state ----------------------------------------------------------


@dataclass
class Viewer:
    """The community side of one request: who is signed in, their CSRF token, their votes.
    Templates reach it through the ``community_request()`` global (card macros are imported
    without the page's context)."""

    community: Community | None = None
    user: User | None = None
    session_token: str | None = None
    csrf_cookie: str | None = None
    new_csrf_cookie: str | None = None  # set on the response when a form needed one
    clear_session: bool = False  # the cookie named an ended session: drop it
    # A form of this page carries this visitor's token: the page is for them only.
    issued_token: bool = False
    path: str = "/"  # this request's path and query, for forms that come back here
    _voted: set[int] | None = field(default=None, repr=False)

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def anchor(self) -> str | None:
        return self.session_token if self.user is not None else self.csrf_cookie

    @property
    def csrf_token(self) -> str:
        """The token for this request's forms (creating the anonymous cookie if needed)."""
        assert self.community is not None, "CommunityMiddleware is not installed"
        anchor = self.anchor
        if anchor is None:
            anchor = self.csrf_cookie = self.new_csrf_cookie = secrets.token_urlsafe(24)
        self.issued_token = True
        return self.community.accounts.csrf_token(anchor)

    def has_upvoted(self, paper_id: int) -> bool:
        """Whether the viewer upvoted the paper (their votes are read once per request)."""
        if self.user is None or self.community is None:
            return False
        if self._voted is None:
            self._voted = self.community.votes.voted_ids(self.user)
        return paper_id in self._voted


_ANONYMOUS = Viewer()
_current: ContextVar[Viewer] = ContextVar("paperboard_viewer", default=_ANONYMOUS)


def current_viewer() -> Viewer:
    return _current.get()


def viewer_of(request: Request) -> Viewer:
    found = request.scope.get("state", {}).get("viewer")
    return found if isinstance(found, Viewer) else _ANONYMOUS


def is_personal(request: Request) -> bool:
    """True when the page shows things of a signed-in person (never cache it)."""
    return viewer_of(request).signed_in


def has_form_token(request: Request) -> bool:
    """True when the page built for this request has a form with the visitor's CSRF token:
    kept for others, its forms would fail for them ("Form expired")."""
    return viewer_of(request).issued_token


def client_of(request: Request) -> Client:
    return Client(request.client.host if request.client else "unknown")


def _secure(scope: Scope, base_url: str) -> bool:
    return scope.get("scheme") == "https" or base_url.startswith("https://")


def _cookie(
    name: str, value: str, *, max_age: int | None, secure: bool, expire: bool = False
) -> bytes:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if expire:
        parts.append("Max-Age=0")
    elif max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def _cookies(scope: Scope) -> dict[str, str]:
    """Our cookies (``pb_*``) from the Cookie header. Split by hand: ``SimpleCookie`` drops
    every cookie after one it cannot parse, and another app on the same host may set those."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"cookie" and b"pb_" in value:
            for part in value.decode("latin-1").split(";"):
                key, _, content = part.strip().partition("=")
                if key.startswith("pb_"):
                    found.setdefault(key, content.strip('"'))
    return found


class CommunityMiddleware:
    """Pure ASGI (no per-request task): refuses oversized bodies early (413), resolves the
    signed-in viewer from the session cookie, and sets the cookies a response needs."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (
                not value.isdigit() or int(value) > self.max_body_bytes
            ):
                await self._too_large(scope, receive, send)
                return
        # Bodies are counted only where there can be one (GET and HEAD are the hot paths).
        if scope["method"] not in ("GET", "HEAD"):
            receive = self._limited(receive)
        if scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        viewer, session = self._viewer(scope)
        if session:
            # Only requests with a session cookie pay for a database read.
            community = viewer.community
            assert community is not None
            user = await run_in_threadpool(community.accounts.session_user, session)
            if user is None:
                viewer.clear_session = True
            else:
                viewer.user, viewer.session_token = user, session
        scope.setdefault("state", {})["viewer"] = viewer
        token = _current.set(viewer)
        try:
            await self.app(scope, receive, self._sending(scope, viewer, send))
        finally:
            _current.reset(token)

    def _viewer(self, scope: Scope) -> tuple[Viewer, str | None]:
        cookies = _cookies(scope)
        path = scope["path"]
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        community = runtime_of(scope["app"]).community
        viewer = Viewer(community=community, csrf_cookie=cookies.get(CSRF_COOKIE), path=path)
        return viewer, cookies.get(SESSION_COOKIE)

    def _sending(self, scope: Scope, viewer: Viewer, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and (
                viewer.signed_in or viewer.new_csrf_cookie or viewer.clear_session
            ):
                message = self._with_cookies(scope, viewer, message)
            await send(message)

        return sending

    def _with_cookies(self, scope: Scope, viewer: Viewer, message: Message) -> Message:
        headers = list(message.get("headers", []))
        secure = _secure(scope, runtime_of(scope["app"]).settings.base_url)
        if viewer.new_csrf_cookie:
            value = viewer.new_csrf_cookie
            headers.append(
                (b"set-cookie", _cookie(CSRF_COOKIE, value, max_age=None, secure=secure))
            )
        if viewer.clear_session:
            cookie = _cookie(SESSION_COOKIE, "", max_age=None, secure=secure, expire=True)
            headers.append((b"set-cookie", cookie))
        if viewer.signed_in and not any(name == b"cache-control" for name, _ in headers):
            # A page with someone's name and tokens on it is not for shared caches.
            headers.append((b"cache-control", b"private, no-store"))
        return {**message, "headers": headers}

    def _limited(self, receive: Receive) -> Receive:
        """Counts a streamed body (no Content-Length, or a lying one) and stops it at the
        limit: FastAPI re-raises an HTTPException from body reading, so it answers 413."""
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise StarletteHTTPException(413, _TOO_LARGE)
            return message

        return limited

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = error_response(request, PageError(413, _TOO_LARGE, title="Too large"))
        # The body is never read: close the connection rather than drain it.
        response.headers["connection"] = "close"
        await response(scope, receive, send)


_TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB."


# --- errors ------------------------------------------------------------------------------------


async def _community_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CommunityError)
    if isinstance(exc, NotSignedIn) and not request.url.path.startswith("/api/"):
        return RedirectResponse(login_url(_back_path(request)), status_code=303)
    response = error_response(request, PageError(exc.status_code, exc.message))
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    if exc.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="paperboard"'
    return response


def install(app: FastAPI) -> None:
    """Middleware, error handlers and the template global; call once in ``create_app``."""
    app.add_middleware(CommunityMiddleware)
    app.add_exception_handler(CommunityError, _community_error)
    app.state.templates.env.globals["community_request"] = current_viewer


# --- CSRF and redirects ------------------------------------------------------------------------


def _allowed_origins(request: Request) -> set[str]:
    base = urlsplit(runtime_of(request.app).settings.base_url)
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return {own, f"{base.scheme}://{base.netloc}"}


def check_same_site(request: Request) -> None:
    """Refuse a form post another site's page made (what the browser says about it)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise PageError(403, "This form was sent from another site, so it was refused.")
    origin = request.headers.get("origin")
    if origin is not None and origin not in _allowed_origins(request):
        raise PageError(403, "This form was sent from another site, so it was refused.")


def require_csrf(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> None:
    """Dependency of every form post: same site, and the form's token matches the session."""
    check_same_site(request)
    viewer = viewer_of(request)
    anchor = viewer.anchor
    community = get_community(request)
    if anchor is None or not community.accounts.check_csrf(anchor, csrf_token):
        raise PageError(
            403,
            "This form has expired or did not come from this site. Reload the page and try again.",
            title="Form expired",
        )


Csrf = Annotated[None, Depends(require_csrf)]


def require_user(request: Request) -> User:
    user = viewer_of(request).user
    if user is None:
        raise NotSignedIn("Sign in first.")
    return user


SignedIn = Annotated[User, Depends(require_user)]


def safe_next(target: str | None) -> str:
    """A local path to return to after signing in; anything else (another site, ``//host``,
    ``/\\host``, a scheme) becomes ``/``: no open redirect."""
    if not target or len(target) > 500:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def login_url(next_path: str) -> str:
    return "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"


def _back_path(request: Request) -> str:
    if request.method == "GET":
        return safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    referer = urlsplit(request.headers.get("referer", ""))
    return safe_next(referer.path) if referer.path else "/"


def redirect_to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    secure = _secure(request.scope, runtime_of(request.app).settings.base_url)
    response.headers.append(
        "set-cookie",
        _cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE_S, secure=secure).decode(),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    secure = _secure(request.scope, runtime_of(request.app).settings.base_url)
    cookie = _cookie(SESSION_COOKIE, "", max_age=None, secure=secure, expire=True)
    response.headers.append("set-cookie", cookie.decode())


Field = Annotated[str, Form(max_length=MAX_FIELD_CHARS)]
NextField = Annotated[str, Form(max_length=500)]
# Row ids are INTEGER columns (32 bits on PostgreSQL): a larger id names no row, and passed on
# to the database it failed there (OverflowError on SQLite: a 500) instead of being refused.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


# --- the JSON API: API tokens, never cookies ----------------------------------------------------


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_user(request: Request, community: CommunityDep) -> User:
    """The owner of the request's API token; 401 without a valid one. Cookies are not
    accepted here, so the API needs no CSRF protection."""
    token = _bearer(request)
    if token is None:
        raise NotSignedIn("Send an API token: Authorization: Bearer <token>.")
    user = community.tokens.authenticate(token)
    if user is None:
        raise NotSignedIn("That API token is not valid (revoked, or never issued).")
    return user


def api_viewer(request: Request, community: CommunityDep) -> User | None:
    """The token's owner if a token was sent (a curator sees hidden comments), else None."""
    return api_user(request, community) if _bearer(request) is not None else None


def token_or_session_user(request: Request, community: CommunityDep) -> User:
    """For reads a page's script may make too (GET only: no CSRF needed): the API token's
    owner when a token is sent, else the signed-in visitor; 401 without either."""
    if _bearer(request) is not None:
        return api_user(request, community)
    return require_user(request)


ApiUser = Annotated[User, Depends(api_user)]
ApiViewer = Annotated[User | None, Depends(api_viewer)]
TokenOrSession = Annotated[User, Depends(token_or_session_user)]
