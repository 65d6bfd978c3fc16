"""Regenerate the demo data set that ships inside the package (``paperboard demo``).

    nice -n 10 .venv/bin/python scripts/build_demo.py [--sample PATH]

From arXiv's metadata (CC0; by default the developers' sample, ../shared/data/arxiv-sample/)
it takes the papers of the latest listing days, up to ``--max-papers``, features a few papers
on each of the last ``--featured-days`` days, and writes to src/paperboard/ingest/demo_data/:

- ``papers.jsonl.gz``: a paperboard export (ingest/export.py): the papers, then the featured
  entries. The featured papers and their upvotes are made up for the demo, by a hash of each
  arXiv id (so a rebuild from the same sample writes the same file);
- ``vectors.npy``: the papers' embeddings by the default embedder (minilm-int8), float16, one
  row per paper in the order of ``manifest.json``'s ``arxiv_ids``;
- ``manifest.json``: the model, its dimensions and the arXiv ids of the rows.

Embedding a few thousand abstracts takes a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import time
from collections import Counter
from datetime import UTC, date, datetime
from datetime import time as day_time
from pathlib import Path

import numpy as np

from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest.demo import DEMO_DIR, MANIFEST, PAPERS_FILE, VECTORS_FILE
from paperboard.ingest.export import header, record_line
from paperboard.ingest.snapshot import iter_snapshot, open_maybe_gzip
from paperboard.search.embedder import (
    DEFAULT_EMBEDDER,
    DEFAULT_MAX_TOKENS,
    load_embedder,
    paper_text,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "papers.jsonl.gz"
MAX_PAPERS = 3000
FEATURED_DAYS = 5
FEATURED_PER_DAY = 20
# Made-up upvotes: a few papers with many, most with a few (like a real board).
MAX_UPVOTES = 90
EMBED_BATCH = 256


def _unit(text: str) -> float:
    """A number in [0, 1) from ``text``: the same on every run and machine."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def latest_days(records: list[PaperRecord], max_papers: int) -> list[date]:
    """The latest listing days whose papers together stay within ``max_papers``."""
    per_day = Counter(_day(record) for record in records)
    chosen: list[date] = []
    total = 0
    for day in sorted(per_day, reverse=True):
        if total + per_day[day] > max_papers:
            break
        chosen.append(day)
        total += per_day[day]
    return sorted(chosen)


def featured_entries(records: list[PaperRecord], days: list[date]) -> list[FeaturedRecord]:
    """``FEATURED_PER_DAY`` papers of each day (those with code first, as on Hugging Face's
    boards), each with made-up upvotes."""
    entries = []
    for day in days:
        papers = [record for record in records if _day(record) == day]
        papers.sort(key=lambda r: (not r.code_urls, _unit(r.arxiv_id)))
        for record in papers[:FEATURED_PER_DAY]:
            upvotes = int(MAX_UPVOTES * _unit("upvotes " + record.arxiv_id) ** 3)
            featured_at = datetime.combine(day, day_time(9), tzinfo=UTC)
            entries.append(
                FeaturedRecord(record.arxiv_id, day, featured_at=featured_at, upvotes=upvotes)
            )
    return entries


def _day(record: PaperRecord) -> date:
    assert record.published_at is not None
    return record.published_at.date()


def write_papers(path: Path, records: list[PaperRecord], entries: list[FeaturedRecord]) -> None:
    first = header() | {"exported_at": f"{max(_day(r) for r in records).isoformat()}T00:00:00Z"}
    raw = io.BytesIO()
    # mtime 0: the same data gives the same bytes (no spurious change in git).
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write(json.dumps(first).encode() + b"\n")
        for item in [*records, *entries]:
            out.write(record_line(item))
    path.write_bytes(raw.getvalue())


def embed(records: list[PaperRecord]) -> np.ndarray:
    embedder = load_embedder(DEFAULT_EMBEDDER)
    texts = [paper_text(record.title, record.abstract) for record in records]
    rows = []
    started = time.monotonic()
    for start in range(0, len(texts), EMBED_BATCH):
        rows.append(embedder.embed(texts[start : start + EMBED_BATCH]))
        done = start + len(rows[-1])
        print(f"embedded {done}/{len(texts)} ({done / (time.monotonic() - started):.1f}/s)")
    return np.vstack(rows).astype(np.float16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--max-papers", type=int, default=MAX_PAPERS)
    parser.add_argument("--featured-days", type=int, default=FEATURED_DAYS)
    args = parser.parse_args()
    with open_maybe_gzip(args.sample) as stream:
        records = [item for item in iter_snapshot(stream) if isinstance(item, PaperRecord)]
    days = latest_days(records, args.max_papers)
    chosen = sorted(
        (record for record in records if _day(record) in set(days)),
        key=lambda r: (_day(r), r.arxiv_id),
    )
    entries = featured_entries(chosen, days[-args.featured_days :])
    print(f"{len(chosen)} papers of {days[0]}..{days[-1]}, {len(entries)} featured entries")
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    write_papers(DEMO_DIR / PAPERS_FILE, chosen, entries)
    vectors = embed(chosen)
    np.save(DEMO_DIR / VECTORS_FILE, vectors, allow_pickle=False)
    manifest = {
        "model": DEFAULT_EMBEDDER,
        "dim": int(vectors.shape[1]),
        "max_tokens": DEFAULT_MAX_TOKENS,
        "source": "arXiv metadata (CC0), via the developers' sample",
        "arxiv_ids": [record.arxiv_id for record in chosen],
    }
    (DEMO_DIR / MANIFEST).write_text(json.dumps(manifest, indent=0) + "\n")
    for name in (PAPERS_FILE, VECTORS_FILE, MANIFEST):
        print(f"{name}: {(DEMO_DIR / name).stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
