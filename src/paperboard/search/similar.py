"""Similar papers: the nearest neighbours of a paper's own embedding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paperboard.search.results import MAX_LIMIT, SearchHit
from paperboard.search.vectors import VectorIndex
from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database
from paperboard.storage.listing import by_paper_ids, counted_row


@dataclass(frozen=True)
class SimilarPapers:
    hits: list[SearchHit]  # nearest first
    # Whether the paper has its embedding yet. Without one it has no neighbours: the page says
    # they are pending rather than leaving them out silently.
    embedded: bool


def similar(
    db: Database,
    paper_id: int,
    limit: int = 10,
    *,
    vector_index: VectorIndex | None = None,
) -> list[SearchHit]:
    """The papers nearest to ``paper_id``'s embedding, itself excluded (versions of a paper
    share its row). Empty when the paper has no embedding yet."""
    return similar_papers(db, paper_id, limit, vector_index=vector_index).hits


def similar_papers(
    db: Database,
    paper_id: int,
    limit: int = 10,
    *,
    vector_index: VectorIndex | None = None,
) -> SimilarPapers:
    """:func:`similar`, saying whether the paper has been embedded at all."""
    limit = max(1, min(limit, MAX_LIMIT))
    if not db.is_sqlite:
        with db.read() as connection:
            nearest = embedding_store.postgres_similar(connection, paper_id, limit)
            # No neighbours: because the paper has no vector, or because it is alone.
            embedded = bool(nearest) or embedding_store.vector_of(connection, paper_id) is not None
        hits = [
            SearchHit(listed=counted_row(row), score=similarity, semantic_similarity=similarity)
            for row, similarity in nearest
        ]
        return SimilarPapers(hits, embedded)
    with db.read() as connection:
        stored = embedding_store.vector_of(connection, paper_id)
    if stored is None:
        return SimilarPapers([], embedded=False)
    model, vector = stored
    if vector_index is None or vector_index.model != model:
        nearest_ids = _exact_nearest(db, model, vector, limit, paper_id)
    else:
        nearest_ids = vector_index.search(vector, limit, exclude=[paper_id])
    similarity = dict(nearest_ids)
    with db.read() as connection:
        found = by_paper_ids(connection, [i for i, _ in nearest_ids], with_board=False)
    hits = [
        SearchHit(
            listed=listed,
            score=similarity[listed.paper_id],
            semantic_similarity=similarity[listed.paper_id],
        )
        for listed in found
    ]
    return SimilarPapers(hits, embedded=True)


def _exact_nearest(
    db: Database, model: str, vector: np.ndarray, limit: int, exclude: int
) -> list[tuple[int, float]]:
    """Every stored vector scored exactly: for a database whose index file is not open."""
    with db.read() as connection:
        ids, matrix = embedding_store.all_vectors(connection, model)
    if not ids:
        return []
    scores = matrix @ np.asarray(vector, np.float32)
    order = np.argsort(-scores)
    return [(ids[i], float(scores[i])) for i in order if ids[i] != exclude][:limit]
