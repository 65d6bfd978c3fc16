"""The development protocol of bench/recommend_quality.py, built from the sample (never from
holdout/): users defined by hand-written topic rules, their seeds, their candidate windows,
and the MiniLM vectors of every paper involved (cached; embedding runs once).

- Topics: bench/interest_topics.jsonl (16 interests, each a list of regular expressions that
  must all occur in title + abstract).
- Cut-offs: CUTOFFS; each user's seeds are SEEDS papers matching their rule(s), drawn (seeded)
  from the SEED_DAYS days announced before the cut-off; the candidates are every paper
  announced in the WINDOW_DAYS days from the cut-off; relevant = the candidates the rule marks.
- Users: one per (topic, cut-off) ("single"), and one per (topic, next topic, cut-off)
  ("mixed": two interests, 5 seeds each, relevant = either rule), kept where the window has
  at least MIN_RELEVANT relevant papers.

    nice -n 10 .venv/bin/python bench/recommend_data.py   # embeds what is not cached yet
"""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "arxiv-sample" / "papers.jsonl.gz"
TOPICS = ROOT / "bench" / "interest_topics.jsonl"
CACHE = ROOT / "bench" / "results" / "cache" / "recommend-minilm-int8-128.npz"
CUTOFFS = (date(2025, 8, 1), date(2025, 12, 1), date(2026, 4, 1))
WINDOW_DAYS = 10
SEED_DAYS = 60
SEEDS = 5
MIN_RELEVANT = 5
RANDOM_SEED = 11
EMBED_BATCH = 64


@dataclass(frozen=True)
class Paper:
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    announced: date

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}".lower()


@dataclass(frozen=True)
class User:
    name: str
    cutoff: date
    seeds: list[str]  # arXiv ids
    candidates: list[str]  # the window, newest first
    relevant: set[str]


def split_authors(text: str) -> list[str]:
    return [name.strip() for name in re.split(r",\s*(?:and\s+)?|\s+and\s+", text) if name.strip()]


def load_papers() -> dict[str, Paper]:
    papers = {}
    with gzip.open(DATA, "rt") as lines:
        for line in lines:
            record = json.loads(line)
            papers[record["id"]] = Paper(
                arxiv_id=record["id"],
                title=" ".join(record["title"].split()),
                abstract=record["abstract"].strip(),
                authors=split_authors(" ".join(record["authors"].split())),
                categories=record["categories"].split(),
                announced=date.fromisoformat(record["update_date"]),
            )
    return papers


def matches(rule: list[str], text: str) -> bool:
    return all(re.search(pattern, text) for pattern in rule)


def build_users(papers: dict[str, Paper]) -> list[User]:
    topics = [json.loads(line) for line in TOPICS.read_text().splitlines() if line.strip()]
    rng = random.Random(RANDOM_SEED)
    ordered = sorted(papers.values(), key=lambda p: (p.announced, p.arxiv_id), reverse=True)
    users = []
    for cutoff in CUTOFFS:
        end = cutoff + timedelta(days=WINDOW_DAYS)
        start = cutoff - timedelta(days=SEED_DAYS)
        window = [p for p in ordered if cutoff <= p.announced < end]
        before = [p for p in ordered if start <= p.announced < cutoff]
        seeds_of = []
        for topic in topics:
            pool = sorted(p.arxiv_id for p in before if matches(topic["rule"], p.text))
            seeds_of.append(rng.sample(pool, SEEDS) if len(pool) >= SEEDS else None)
        relevant_of = [
            {p.arxiv_id for p in window if matches(topic["rule"], p.text)} for topic in topics
        ]
        candidates = [p.arxiv_id for p in window]
        for i, topic in enumerate(topics):
            if seeds_of[i] and len(relevant_of[i]) >= MIN_RELEVANT:
                name = f"single:{topic['interest']}@{cutoff}"
                users.append(User(name, cutoff, seeds_of[i], candidates, relevant_of[i]))
            j = (i + 1) % len(topics)
            both = relevant_of[i] | relevant_of[j]
            each = min(len(relevant_of[i]), len(relevant_of[j]))
            if seeds_of[i] and seeds_of[j] and each >= 2 and len(both) >= MIN_RELEVANT:
                name = f"mixed:{topic['interest']}+{topics[j]['interest']}@{cutoff}"
                seeds = seeds_of[i] + seeds_of[j]
                users.append(User(name, cutoff, seeds, candidates, both))
    return users


def load_vectors() -> dict[str, np.ndarray]:
    if not CACHE.exists():
        return {}
    data = np.load(CACHE)
    return {str(i): v for i, v in zip(data["ids"], data["vectors"], strict=True)}


def embed_missing(papers: dict[str, Paper], users: list[User]) -> dict[str, np.ndarray]:
    from paperboard.search.embedder import load_embedder, paper_text

    vectors = load_vectors()
    wanted = sorted({a for u in users for a in u.seeds + u.candidates} - set(vectors))
    if wanted:
        embedder = load_embedder("minilm-int8", threads=2, max_tokens=128)
        for start in range(0, len(wanted), EMBED_BATCH):
            batch = wanted[start : start + EMBED_BATCH]
            texts = [paper_text(papers[a].title, papers[a].abstract) for a in batch]
            for arxiv_id, vector in zip(batch, embedder.embed(texts), strict=True):
                vectors[arxiv_id] = vector.astype(np.float16)
            if (start // EMBED_BATCH) % 10 == 0 or start + EMBED_BATCH >= len(wanted):
                save(vectors)
                print(f"embedded {min(start + EMBED_BATCH, len(wanted))}/{len(wanted)}", flush=True)
    return vectors


def save(vectors: dict[str, np.ndarray]) -> None:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    ids = sorted(vectors)
    temporary = CACHE.with_name(CACHE.name + ".tmp.npz")
    np.savez(temporary, ids=np.array(ids), vectors=np.stack([vectors[i] for i in ids]))
    temporary.replace(CACHE)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    all_papers = load_papers()
    built = build_users(all_papers)
    print(f"{len(built)} users: {sum(u.name.startswith('single') for u in built)} single")
    embed_missing(all_papers, built)
