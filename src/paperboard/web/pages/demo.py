"""The "explore the demo" button of an empty paperboard's home page: loads the demo data set
(ingest/demo.py), as ``paperboard demo`` does, then shows the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.responses import RedirectResponse, Response

from paperboard.ingest.demo import DemoRefused, load_demo
from paperboard.runtime import Runtime
from paperboard.web.deps import get_runtime
from paperboard.web.errors import PageError
from paperboard.web.session import Csrf

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


@router.post("/demo", name="load_demo")
def load_demo_page(
    request: Request, _: Csrf, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> Response:
    """Only into an empty paperboard: the button shows only there, and a second press (or a
    forged one) must not mix the demo's papers into real ones."""
    try:
        load_demo(runtime.db, runtime.keyword_index, runtime.settings.embedder)
    except DemoRefused:
        raise PageError(
            409,
            "This paperboard already has papers: the demo loads only into an empty one.",
            title="The demo is for an empty paperboard",
            links=[("Home", "/")],
        ) from None
    # Similar papers and search by meaning at once, not after the next periodic sync.
    runtime.search.catch_up_vectors()
    return RedirectResponse("/", status_code=303)
