"""The demo: a few thousand recent arXiv papers (metadata is CC0) with a few featured days,
shipped inside the package with their vectors, so that a new paperboard with no data and no
network shows its boards, search, similar papers and feeds in seconds (``paperboard demo``,
or the button on the empty home page).

The data is built by scripts/build_demo.py (see there for what is in it). Loading goes the
usual way: the papers and featured entries through the loader (an export file, as
``paperboard import`` reads it), with the keyword index kept in step; the vectors are stored
for the embedder they were computed with, and only when that is the configured one.
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest.export import iter_export
from paperboard.ingest.service import ingest
from paperboard.search.keyword import KeywordIndex
from paperboard.storage import embeddings as embedding_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
PAPERS_FILE = "papers.jsonl.gz"
VECTORS_FILE = "vectors.npy"
MANIFEST = "manifest.json"
# Vectors are stored in batches of this many rows (one transaction each).
STORE_BATCH = 1000


class DemoRefused(Exception):
    """The database already has papers: the demo is for an empty paperboard only."""


@dataclass(frozen=True)
class DemoReport:
    papers: int
    featured: int
    featured_days: list[date]
    vectors: int  # stored for the configured embedder
    # Why no vectors were stored (another embedder is configured), or None.
    vectors_skipped: str | None
    seconds: float


def load_demo(db: Database, keyword_index: KeywordIndex | None, embedder: str) -> DemoReport:
    """Load the demo into an empty database (DemoRefused otherwise). ``embedder`` is the
    configured one (PAPERBOARD_EMBEDDER): the shipped vectors are stored only for it."""
    started = time.monotonic()
    with db.read() as connection:
        if paper_store.count(connection):
            raise DemoRefused("this paperboard already has papers: the demo is for an empty one")
    with gzip.open(DEMO_DIR / PAPERS_FILE, "rb") as stream:
        items = list(iter_export(stream))
    papers = [item for item in items if isinstance(item, PaperRecord)]
    featured = [item for item in items if isinstance(item, FeaturedRecord)]
    ingest(db, items, keyword_index=keyword_index)
    manifest = json.loads((DEMO_DIR / MANIFEST).read_text())
    stored, skipped, configured = 0, None, embedder.strip()
    if configured == manifest["model"]:
        stored = _store_vectors(db, manifest, papers)
    elif configured == "off":
        skipped = "semantic search is off (PAPERBOARD_EMBEDDER=off): no vectors were stored"
    else:
        skipped = (
            f"the demo's vectors are for {manifest['model']}, but PAPERBOARD_EMBEDDER is "
            f"{configured!r}: the demo papers are embedded in the background instead"
        )
    return DemoReport(
        papers=len(papers),
        featured=len(featured),
        featured_days=sorted({entry.day for entry in featured}),
        vectors=stored,
        vectors_skipped=skipped,
        seconds=time.monotonic() - started,
    )


def _store_vectors(db: Database, manifest: dict[str, object], papers: list[PaperRecord]) -> int:
    """Store the shipped vectors of the papers whose stored text is the demo's own (a paper
    that was there already, with other text, is left to the embedding job)."""
    vectors = np.load(DEMO_DIR / VECTORS_FILE, allow_pickle=False).astype(np.float32)
    arxiv_ids = manifest["arxiv_ids"]
    assert isinstance(arxiv_ids, list) and len(arxiv_ids) == len(vectors)
    shipped_hashes = {paper.arxiv_id: paper.content_hash() for paper in papers}
    with db.read() as connection:
        ids = paper_store.ids_for(connection, arxiv_ids)
        stored_hashes = paper_store.hashes_for(connection, arxiv_ids)
    rows = [
        (ids[arxiv_id], stored_hashes[arxiv_id], vectors[row])
        for row, arxiv_id in enumerate(arxiv_ids)
        if arxiv_id in ids and stored_hashes.get(arxiv_id) == shipped_hashes.get(arxiv_id)
    ]
    model = str(manifest["model"])
    for start in range(0, len(rows), STORE_BATCH):
        with db.write() as connection:
            embedding_store.store(
                connection, model, rows[start : start + STORE_BATCH], datetime.now(UTC)
            )
    return len(rows)
