"""What the collections API (web/api/collections.py) and the collection pages
(web/pages/library.py) share: a slug taken from its two path segments, an export as a file."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from starlette.responses import Response

from paperboard.library.exchange import Export


def slug_of(
    owner: Annotated[str, Path(max_length=64)], name: Annotated[str, Path(max_length=200)]
) -> str:
    """``owner/title-words-<id>``: a slug has a slash, so routes take its halves."""
    return f"{owner}/{name}"


Slug = Annotated[str, Depends(slug_of)]


def attachment(exported: Export) -> Response:
    """An export as a file to save."""
    return Response(
        exported.text,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )
