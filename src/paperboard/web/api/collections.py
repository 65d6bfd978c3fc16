"""Collections over HTTP: Hugging Face's collections API (``huggingface_hub`` works unchanged,
docs/library.md has the table), ``GET /api/whoami-v2`` (whose token this is), and export and
import of a collection's papers as BibTeX, RIS or CSL-JSON.

A slug is ``owner/title-words-<id>``, so routes take it as two path segments. Writes need an
API token (``Authorization: Bearer``); reads take one when sent (a private collection is
visible to its owner only: to anyone else it does not exist). Handlers parse, make one
``runtime.library`` call and answer in the shapes of ``library/hf_shapes.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from paperboard.community.errors import InvalidInput
from paperboard.domain.collections import Collection
from paperboard.domain.hf_values import hf_user
from paperboard.library import Library
from paperboard.library.errors import Conflict
from paperboard.library.exchange import ImportReport
from paperboard.library.hf_shapes import collection_json, listed_collection_json
from paperboard.web.collection_http import Slug, attachment
from paperboard.web.deps import get_library, get_settings
from paperboard.web.session import ApiUser, ApiViewer

router = APIRouter(tags=["collections"])

LibraryDep = Annotated[Library, Depends(get_library)]
MAX_LIST = 100

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A value out of bounds (title, description or note too long...)."},
    401: {"description": "No API token, or not a valid one."},
    403: {"description": "Not your collection."},
    404: {"description": "No such collection (or private to someone else), item or paper."},
    429: {"description": "Rate limited: see the Retry-After header (seconds)."},
}


# Reads: a token is optional, but one sent must be valid.
_READ_ERRORS: dict[int | str, dict[str, Any]] = {401: _ERRORS[401], 404: _ERRORS[404]}
_EXPORT_MEDIA = {
    "application/x-bibtex": {},
    "application/x-research-info-systems": {},
    "application/vnd.citationstyles.csl+json": {},
}


def _json(value: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status_code, media_type="application/json")


def _shaped(request: Request, collection: Collection) -> Response:
    return _json(collection_json(collection, get_settings(request).base_url))


class CollectionIn(BaseModel):
    title: str = Field(max_length=1000)
    namespace: str | None = Field(default=None, max_length=64)
    private: bool = False
    description: str | None = Field(default=None, max_length=10_000)


class CollectionPatch(BaseModel):
    title: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=10_000)
    private: bool | None = None
    theme: str | None = Field(default=None, max_length=40)
    position: int | None = Field(default=None, ge=0, le=100_000)


class ItemRef(BaseModel):
    id: str = Field(max_length=300, description="An arXiv id (2401.01234).")
    type: Literal["paper"] = Field(description="paperboard's collections hold papers only.")


class ItemIn(BaseModel):
    item: ItemRef
    note: str | None = Field(default=None, max_length=10_000)


class ItemPatch(BaseModel):
    note: str | None = Field(default=None, max_length=10_000)
    position: int | None = Field(default=None, ge=0, le=100_000)


# --- who am I ----------------------------------------------------------------------------------


@router.get("/api/whoami-v2", summary="The API token's owner", responses={401: _ERRORS[401]})
def whoami(user: ApiUser) -> Response:
    """Hugging Face's whoami: ``huggingface_hub`` reads ``name`` (``create_collection`` uses it
    as the namespace)."""
    shaped = hf_user(user.username, user.name) or {}
    return _json({**shaped, "id": shaped["_id"], "orgs": [], "auth": {"type": "access_token"}})


# --- collections ---------------------------------------------------------------------------------


@router.get("/api/collections", summary="List collections", responses={401: _ERRORS[401]})
def list_collections(
    request: Request,
    library: LibraryDep,
    viewer: ApiViewer,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    item: Annotated[str | None, Query(max_length=300, examples=["papers/2401.01234"])] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = MAX_LIST,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Visible collections (public ones, and the token owner's private ones), each with its
    first four items."""
    found = library.collections.list(viewer, owner=owner, item=item, limit=limit, offset=offset)
    base_url = get_settings(request).base_url
    return _json([listed_collection_json(collection, base_url) for collection in found])


@router.post(
    "/api/collections",
    status_code=200,
    summary="Create a collection",
    responses={409: {"description": "You have one of that title: its `slug`."}, **_ERRORS},
)
def create_collection(
    request: Request, body: CollectionIn, user: ApiUser, library: LibraryDep
) -> Response:
    try:
        created = library.collections.create(
            user,
            body.title,
            description=body.description,
            private=body.private,
            namespace=body.namespace,
        )
    except Conflict as exc:
        # huggingface_hub's exists_ok reads the existing collection's slug from the 409.
        return _json({"error": exc.message, "slug": exc.slug}, 409)
    return _shaped(request, created)


@router.get(
    "/api/collections/{owner}/{name}",
    summary="A collection with every item",
    responses=_READ_ERRORS,
)
def get_collection(
    request: Request, slug: Slug, library: LibraryDep, viewer: ApiViewer
) -> Response:
    return _shaped(request, library.collections.get(slug, viewer))


@router.patch("/api/collections/{owner}/{name}", summary="Change a collection", responses=_ERRORS)
def update_collection(
    request: Request,
    slug: Slug,
    body: CollectionPatch,
    user: ApiUser,
    library: LibraryDep,
) -> Response:
    """Only the fields sent change (an explicit ``"description": null`` clears it)."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if changes.get("title") is None:
        changes.pop("title", None)
    updated = library.collections.update(slug, user, **changes)
    return _json(
        {"success": True, "data": collection_json(updated, get_settings(request).base_url)}
    )


@router.delete("/api/collections/{owner}/{name}", summary="Delete a collection", responses=_ERRORS)
def delete_collection(slug: Slug, user: ApiUser, library: LibraryDep) -> Response:
    library.collections.delete(slug, user)
    return _json({"success": True})


# --- items ---------------------------------------------------------------------------------------


@router.post(
    "/api/collections/{owner}/{name}/items",
    summary="Add a paper",
    responses={409: {"description": "The paper is in the collection already."}, **_ERRORS},
)
def add_item(
    request: Request, slug: Slug, body: ItemIn, user: ApiUser, library: LibraryDep
) -> Response:
    return _shaped(request, library.collections.add_paper(slug, body.item.id, user, note=body.note))


@router.patch(
    "/api/collections/{owner}/{name}/items/{item_id}",
    summary="Change an item's note or position",
    responses=_ERRORS,
)
def update_item(
    request: Request,
    slug: Slug,
    item_id: Annotated[str, Path(max_length=40)],
    body: ItemPatch,
    user: ApiUser,
    library: LibraryDep,
) -> Response:
    """``item_id`` is the item's ``_id``; only the fields sent change."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    updated = library.collections.update_item(slug, item_id, user, **changes)
    return _shaped(request, updated)


@router.delete(
    "/api/collections/{owner}/{name}/items/{item_id}",
    summary="Remove an item",
    responses=_ERRORS,
)
def delete_item(
    request: Request, slug: Slug, item_id: str, user: ApiUser, library: LibraryDep
) -> Response:
    updated = library.collections.delete_item(slug, item_id, user)
    return _shaped(request, updated)


# --- export and import ---------------------------------------------------------------------------

Format = Literal["bibtex", "ris", "csljson"]


@router.get(
    "/api/collections/{owner}/{name}/export",
    summary="The collection's papers as BibTeX, RIS or CSL-JSON",
    response_class=Response,
    responses={
        200: {"content": _EXPORT_MEDIA, "description": "The file (an attachment)."},
        400: _ERRORS[400],
        **_READ_ERRORS,
    },
)
def export_collection(
    slug: Slug,
    library: LibraryDep,
    viewer: ApiViewer,
    format: Annotated[Format, Query()] = "bibtex",
) -> Response:
    return attachment(library.exchange.export(slug, viewer, format))


def report_json(report: ImportReport) -> dict[str, Any]:
    return {
        "slug": report.collection.slug,
        "entries": report.entries,
        "added": report.added,
        "alreadyThere": report.already_there,
        "matchedById": report.matched_by_id,
        "matchedByTitle": report.matched_by_title,
        "unmatched": [
            {"where": u.where, "title": u.title, "reason": u.reason} for u in report.unmatched
        ],
    }


@router.post(
    "/api/collections/{owner}/{name}/import",
    summary="Add the papers a BibTeX, RIS or CSL-JSON file names",
    responses={413: {"description": "Over 1 MiB, 5,000 entries or 20 s."}, **_ERRORS},
)
async def import_collection(
    request: Request,
    slug: Slug,
    user: ApiUser,
    library: LibraryDep,
    format: Annotated[Format, Query()],
) -> Response:
    """The file as the body, or as the ``file`` field of a multipart form. Every entry is in
    the report: added, already there, or unmatched with the reason."""
    data = await _upload(request)
    # Parsing and matching take up to seconds: off the event loop.
    report = await run_in_threadpool(library.exchange.import_file, slug, user, format, data)
    return _json(report_json(report))


async def _upload(request: Request) -> bytes:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("Send the file as the form's `file` field.", "file")
        return await upload.read()
    return await request.body()
