"""A site for the personal layer's web tests: papers announced over the weeks before TODAY
(one outside the default window), on SQLite or PostgreSQL, the site's clock at TODAY noon."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from paperboard.domain.paper import PaperRecord
from paperboard.search import keyword
from paperboard.search.service import SearchService
from paperboard.storage import embeddings
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.schema import EMBEDDING_DIM
from tests.app_factory import Site, build_site

TODAY = date(2026, 11, 20)
PAPERS = {
    # arXiv id: (days before TODAY it was announced, authors, the topic's word)
    "2411.00011": (1, ["Alan Turing"], "graphs"),
    "2411.00012": (2, ["Alan Turing", "Ada Lovelace"], "graphs"),
    "2411.00013": (3, ["Alan Turing"], "stars"),
    "2411.00014": (2, ["Jane Doe"], "diffusion"),
    "2410.00016": (40, ["Alan Turing"], "graphs"),  # outside the default window
}


TOPICS = ("graphs", "stars", "diffusion")


def vector(topic: str, own: int) -> np.ndarray:
    value = np.zeros(EMBEDDING_DIM, np.float32)
    value[TOPICS.index(topic)] = 1.0
    value[10 + own] = 0.3
    return value / np.linalg.norm(value)


def personal_site(db: Database, tmp_path: Path) -> Iterator[Site]:
    """Over ``db`` (SQLite or PostgreSQL, the ``db`` fixture's, which disposes of it)."""
    # A SQLite site always has its keyword index (imports match titles with it); PostgreSQL
    # searches its own tsvector column.
    index = keyword.open_index(tmp_path / "index") if db.is_sqlite else None
    built = build_site(db, tmp_path / "data", search=SearchService(db, index))
    built.clock.now = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=12)
    built.add(
        *(
            PaperRecord(
                arxiv_id=arxiv_id,
                title=f"On {topic} {arxiv_id}",
                abstract=f"Results on {topic} ({arxiv_id}).",
                authors=authors,
                categories=["cs.LG"],
                published_at=built.clock.now - timedelta(days=age + 1),
                announced_on=TODAY - timedelta(days=age),
            )
            for arxiv_id, (age, authors, topic) in PAPERS.items()
        )
    )
    # A vector per paper (its topic's direction, a little of its own): "similar" and
    # "keywords" read the kept papers' vectors.
    with db.write() as connection:
        ids = paper_store.ids_for(connection, list(PAPERS))
        rows = [
            (ids[arxiv_id], "hash", vector(topic, n))
            for n, (arxiv_id, (*_, topic)) in enumerate(PAPERS.items())
        ]
        embeddings.store(connection, "test-model", rows, built.clock.now)
    if index is not None:
        keyword.sync(db, index)
    with built:
        yield built
    if index is not None:
        index.close()
