"""Jinja2 set-up for the pages: one environment per app, autoescaped, with our filters."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from paperboard.config import Settings
from paperboard.domain.tex import tex_plain
from paperboard.web.render import format as fmt

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
SITE_NAME = "paperboard"


def _asset_version(directory: Path) -> str:
    """A digest of the static files, appended to their URLs so browsers refetch after a change."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(directory.iterdir()):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _page_context(request: Request) -> dict[str, Any]:
    # One clock read per page, in UTC like the stored dates, so that every date on a page
    # agrees on which year is "this year".
    return {"today": datetime.now(UTC).date()}


def create_templates(settings: Settings) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Every template is HTML: escape everything not explicitly marked safe.
        autoescape=True,
        # A misspelt variable fails the test suite instead of rendering as an empty string.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=fmt.format_date,
        reflow=fmt.reflow,
        excerpt=fmt.excerpt,
        authors_summary=fmt.authors_summary,
        safe_url=fmt.safe_url,
        url_label=fmt.url_label,
        doi_url=fmt.doi_url,
        tex=fmt.render_tex,
        tex_excerpt=fmt.tex_excerpt,
        tex_plain=tex_plain,
        highlight=fmt.highlight_spans,
        hours=fmt.format_hours,
        score=fmt.format_score,
        number=fmt.format_number,
    )
    env.globals.update(
        site_name=SITE_NAME,
        # Public URL for canonical links (a proxy may hide the host the request arrived at).
        base_url=settings.base_url,
        asset_version=_asset_version(STATIC_DIR),
    )
    return Jinja2Templates(env=env, context_processors=[_page_context])


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render ``name`` with the app's templates (kept on ``app.state``, not in a global)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers
    )
