"""Designed error pages: every error a visitor can reach renders ``error.html``, never a trace.

Handlers raise :class:`PageError` (or FastAPI's ``HTTPException``); the handlers registered by
:func:`install` turn it into a page. Paths under ``/api/`` get JSON instead, in the
``{"error": ...}`` shape Hugging Face's API uses, for the API routes that come later; paths
under ``/feeds/`` get one line of plain text (``404 Not Found: ...``), which a feed reader can
show and whoever opens the URL can read, rather than the site's HTML page.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from paperboard.web.templating import render

log = logging.getLogger(__name__)

# What a visitor reads for each status when the handler gave no message of its own.
_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The address has a parameter this page cannot use."),
    404: ("Page not found", "There is nothing at this address: it moved, or never existed."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    500: ("Something went wrong", "paperboard hit an error showing this page. Try again shortly."),
    503: ("Unavailable", "paperboard cannot reach its database right now. Try again shortly."),
}


class PageError(Exception):
    """An error page with its own wording, and optional links that help the visitor on."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        title: str | None = None,
        links: list[tuple[str, str]] | None = None,  # (label, href)
    ) -> None:
        super().__init__(status_code, message)
        self.status_code = status_code
        self.message = message
        self.title = title
        self.links = links or []


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _is_feed(request: Request) -> bool:
    return request.url.path.startswith("/feeds/")


def error_response(request: Request, error: PageError) -> Response:
    default_title, _ = _DEFAULTS.get(error.status_code, (_phrase(error.status_code), ""))
    title = error.title or default_title
    if _is_api(request):
        return JSONResponse({"error": error.message}, status_code=error.status_code)
    if _is_feed(request):
        line = f"{error.status_code} {_phrase(error.status_code)}: {error.message}\n"
        return PlainTextResponse(line, status_code=error.status_code)
    context = {
        "status_code": error.status_code,
        "title": title,
        "message": error.message,
        "links": error.links,
    }
    try:
        return render(request, "error.html", context, status_code=error.status_code)
    except Exception:
        # The error page itself failed (a broken template): still answer, and without a trace.
        log.exception("rendering error.html failed")
        return PlainTextResponse(f"{error.status_code} {title}", status_code=error.status_code)


# Handlers take the exception type they are registered for; Starlette only calls them with it.
async def _page_error(request: Request, exc: PageError) -> Response:
    return error_response(request, exc)


async def _http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    status = exc.status_code
    phrase = _phrase(status)
    _, default_message = _DEFAULTS.get(status, ("", phrase))
    # Starlette's own exceptions (unknown route, wrong method) carry only the status phrase:
    # show our wording then; a handler's own detail is meant for the visitor.
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    response = error_response(request, PageError(status, detail or default_message))
    if exc.headers:
        response.headers.update(exc.headers)  # e.g. Allow on a 405
    return response


class _EchoJSONResponse(JSONResponse):
    """JSON that may echo what a client sent. A JSON body may carry a lone surrogate
    (``"\\ud800"``): valid JSON, but not encodable as UTF-8, so a plain JSONResponse raised
    while answering (a 500 instead of the 422). Such a character goes back as its JSON escape."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        # Only lone surrogates can fail to encode; backslashreplace writes them as \udXXX,
        # which inside a JSON string is that same character's escape.
        return text.encode("utf-8", "backslashreplace")


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _is_api(request):
        # API clients get FastAPI's detailed 422 listing every invalid parameter (the body
        # FastAPI's own handler builds), rendered so that any input it echoes can be encoded.
        return _EchoJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'request'}: "
        f"{error.get('msg', 'invalid')}"
        for error in exc.errors()
    )
    return error_response(request, PageError(400, f"Invalid request ({problems})."))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception after this response is sent, so the server logs the
    # traceback; the visitor only sees the designed page.
    _, message = _DEFAULTS[500]
    return error_response(request, PageError(500, message))


def install(app: FastAPI) -> None:
    app.add_exception_handler(PageError, _page_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_exception)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
