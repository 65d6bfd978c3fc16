"""Similar papers: the nearest neighbours of a paper's own embedding."""

from __future__ import annotations

import numpy as np

from paperboard.search.results import MAX_LIMIT, SearchHit
from paperboard.search.vectors import VectorIndex
from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database
from paperboard.storage.listing import by_paper_ids, counted_row


def similar(
    db: Database,
    paper_id: int,
    limit: int = 10,
    *,
    vector_index: VectorIndex | None = None,
) -> list[SearchHit]:
    """The papers nearest to ``paper_id``'s embedding, itself excluded (versions of a paper
    share its row). Empty when the paper has no embedding yet."""
    limit = max(1, min(limit, MAX_LIMIT))
    if not db.is_sqlite:
        with db.read() as connection:
            nearest = embedding_store.postgres_similar(connection, paper_id, limit)
        return [
            SearchHit(listed=counted_row(row), score=similarity, semantic_similarity=similarity)
            for row, similarity in nearest
        ]
    with db.read() as connection:
        stored = embedding_store.vector_of(connection, paper_id)
    if stored is None:
        return []
    model, vector = stored
    if vector_index is None or vector_index.model != model:
        hits = _exact_nearest(db, model, vector, limit, paper_id)
    else:
        hits = vector_index.search(vector, limit, exclude=[paper_id])
    similarity = dict(hits)
    with db.read() as connection:
        found = by_paper_ids(connection, [i for i, _ in hits], with_board=False)
    return [
        SearchHit(
            listed=listed,
            score=similarity[listed.paper_id],
            semantic_similarity=similarity[listed.paper_id],
        )
        for listed in found
    ]


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
