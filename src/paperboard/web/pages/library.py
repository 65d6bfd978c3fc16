"""The personal layer's pages: "for you" (with each paper's reasons and a "not interested"
button), a collection (its papers, notes and export links) and "save to collection" from a
paper page. Signed-in pages with sessions and CSRF (web/session.py); each handler makes one
``runtime.library`` call."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from paperboard.library import Library
from paperboard.web.collection_http import Slug, attachment
from paperboard.web.deps import get_library
from paperboard.web.session import Csrf, Field, SignedIn, redirect_to, safe_next, viewer_of
from paperboard.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

LibraryDep = Annotated[Library, Depends(get_library)]
NoteField = Annotated[str, Form(max_length=500)]


# --- "for you" -----------------------------------------------------------------------------------


@router.get("/for-you", name="for_you")
def for_you(request: Request, user: SignedIn, library: LibraryDep) -> Response:
    found = library.recommendations.recommend(user)
    today = library.context.clock().date()
    return render(request, "for_you.html", {"found": found, "today": today})


@router.post("/papers/{arxiv_id:path}/dismiss", name="dismiss_form")
def dismiss(
    arxiv_id: str, _: Csrf, user: SignedIn, library: LibraryDep, next: Field = "/for-you"
) -> Response:
    library.recommendations.dismiss(user, arxiv_id)
    return redirect_to(safe_next(next))


# --- collections ---------------------------------------------------------------------------------


@router.get("/collections/{owner}/{name}", name="collection")
def collection(request: Request, slug: Slug, library: LibraryDep) -> Response:
    found = library.collections.get(slug, viewer_of(request).user)
    return render(request, "collection.html", {"collection": found, "report": None})


@router.get("/collections/{owner}/{name}/export", name="collection_export")
def export(
    request: Request,
    slug: Slug,
    library: LibraryDep,
    format: Annotated[Literal["bibtex", "ris", "csljson"], Query()] = "bibtex",
) -> Response:
    """The page's export buttons: as the API's export, with the visitor's session."""
    return attachment(library.exchange.export(slug, viewer_of(request).user, format))


@router.post("/collections/{owner}/{name}/items/{item_id}/note", name="note_form")
def note(
    slug: Slug,
    item_id: Annotated[str, Path(max_length=40)],
    _: Csrf,
    user: SignedIn,
    library: LibraryDep,
    note: NoteField = "",
) -> Response:
    """The owner's note on an item (empty clears it)."""
    library.collections.update_item(slug, item_id, user, note=note.strip() or None)
    return redirect_to(f"/collections/{slug}#item-{item_id}")


@router.post("/collections/{owner}/{name}/import", name="import_form")
def import_file(
    request: Request,
    slug: Slug,
    _: Csrf,
    user: SignedIn,
    library: LibraryDep,
    file: UploadFile,
    format: Annotated[Literal["bibtex", "ris", "csljson"], Form()] = "bibtex",
) -> Response:
    """A reference manager's file into the collection; the page lists what matched nothing."""
    report = library.exchange.import_file(slug, user, format, file.file.read())
    return render(request, "collection.html", {"collection": report.collection, "report": report})


@router.get("/papers/{arxiv_id:path}/save", name="save_page")
def save_page(request: Request, arxiv_id: str, user: SignedIn, library: LibraryDep) -> Response:
    """Which of your collections to save the paper to (or a new one)."""
    mine = library.collections.list(user, owner=user.username)
    return render(request, "save_to_collection.html", {"arxiv_id": arxiv_id, "collections": mine})


@router.post("/papers/{arxiv_id:path}/save", name="save_form")
def save(
    arxiv_id: str,
    _: Csrf,
    user: SignedIn,
    library: LibraryDep,
    slug: Field = "",
    title: Field = "",
    note: NoteField = "",
) -> Response:
    """Into the chosen collection, or a new one of ``title``; then to the collection's page."""
    # A typed title means a new collection, whichever of the user's was ticked.
    chosen = None if title.strip() else slug or None
    saved = library.collections.save_paper(
        user, arxiv_id, slug=chosen, new_title=title or None, note=note or None
    )
    return redirect_to(f"/collections/{saved.slug}")
