"""A small hand-written corpus for the search tests: distinct topics, dates, categories, code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from paperboard.domain.paper import PaperRecord
from paperboard.ingest.loader import load
from paperboard.search.embedder import HashingEmbedder
from paperboard.search.keyword import KeywordIndex, sync
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database
from paperboard.storage.schema import papers

# (arxiv id, title, abstract, authors, categories, published day, code url, upvotes)
PAPERS = [
    (
        "2401.00001",
        "Speculative Decoding with Draft Models",
        "We accelerate large language model inference by drafting tokens with a small model and "
        "verifying them with the large one.",
        ["Ada Lovelace", "Alan Turing"],
        ["cs.CL", "cs.LG"],
        (2024, 1, 2),
        "https://github.com/x/spec",
        40,
    ),
    (
        "2401.00002",
        "Retrieval Augmented Generation for Question Answering",
        "A retriever finds passages that a generator reads to answer open domain questions.",
        ["Grace Hopper"],
        ["cs.CL"],
        (2024, 1, 5),
        None,
        10,
    ),
    (
        "2401.00003",
        "Diffusion Models for Video Generation",
        "We extend image diffusion models to generate temporally coherent video clips.",
        ["Zoë Müller", "Alan Turing"],
        ["cs.CV"],
        (2024, 1, 9),
        "https://github.com/x/vid",
        90,
    ),
    (
        "2401.00004",
        "Graph Neural Networks for Molecule Property Prediction",
        "Message passing networks predict chemical properties of molecules from their graphs.",
        ["Marie Curie"],
        ["cs.LG", "q-bio.QM"],
        (2024, 2, 1),
        None,
        5,
    ),
    (
        "2401.00005",
        "Galaxy Rotation Curves without Dark Matter",
        "We fit rotation curves of spiral galaxies with modified gravity.",
        ["Vera Rubin"],
        ["astro-ph.GA"],
        (2024, 2, 3),
        None,
        0,
    ),
    (
        "2401.00006",
        "Attention Is Still All You Need",
        "Transformers with self attention remain strong baselines for sequence modelling.",
        ["Ada Lovelace"],
        ["cs.LG"],
        (2024, 2, 20),
        "https://github.com/x/attn",
        70,
    ),
    (
        "2401.00007",
        "Caching Key Value States to Speed Up Language Model Decoding",
        "Reusing the key value cache across requests makes decoding of language models faster.",
        ["Grace Hopper", "Alan Turing"],
        ["cs.CL"],
        (2024, 3, 1),
        None,
        25,
    ),
    (
        "2401.00008",
        "Optical Frequency Combs in Microresonators",
        "Kerr microresonators produce broadband frequency combs for spectroscopy.",
        ["Lise Meitner"],
        ["physics.optics"],
        (2024, 3, 4),
        None,
        1,
    ),
]


def records() -> list[PaperRecord]:
    out = []
    for arxiv_id, title, abstract, authors, categories, day, code, _up in PAPERS:
        out.append(
            PaperRecord(
                arxiv_id=arxiv_id,
                title=title,
                abstract=abstract,
                authors=authors,
                categories=categories,
                published_at=datetime(*day, tzinfo=UTC),
                updated_at=datetime(*day, tzinfo=UTC),
                code_urls=[code] if code else [],
            )
        )
    return out


def load_corpus(db: Database, keyword_index: KeywordIndex | None = None) -> dict[str, int]:
    """Store the corpus (with upvotes); returns arxiv id -> internal id."""
    load(db, records())
    with db.write() as connection:
        for arxiv_id, *_rest, upvotes in PAPERS:
            connection.execute(
                update(papers).where(papers.c.arxiv_id == arxiv_id).values(upvotes=upvotes)
            )
    if keyword_index is not None:
        sync(db, keyword_index)
    with db.read() as connection:
        return paper_store.ids_for(connection, [p[0] for p in PAPERS])


def keyword_index_for(db: Database, tmp_path: Path) -> KeywordIndex | None:
    """tantivy next to SQLite; PostgreSQL searches its own tsvector column."""
    return KeywordIndex(tmp_path / "keyword-index") if db.is_sqlite else None


EMBEDDER = HashingEmbedder()
