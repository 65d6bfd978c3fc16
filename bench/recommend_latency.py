"""Latency of "for you" (``Library.recommendations.recommend``) at the sample's 88,864 papers
for a user with 200 saved papers, and the memory one request holds.

Builds (once, cached under bench/results/recommend-latency/) a SQLite database of the whole
sample through the real loader, with a 384-dimension unit vector per paper (synthetic,
clustered by primary category: the vectors' values do not change the cost) stored as
``paperboard embed`` stores them. The user: 200 papers saved in 3 collections, 20 upvotes,
10 dismissals, 2 followed authors, 2 categories, 1 user and 1 saved search. Then REPEATS
calls per window, after WARMUP, single client; p50/p90/p99/max, and tracemalloc's peak of one
call (what a request allocates: its candidates, vectors, texts and scores).

    nice -n 10 .venv/bin/python bench/recommend_latency.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select
from threadpoolctl import threadpool_limits

from paperboard.community.accounts import Client
from paperboard.community.passwords import fast_passwords
from paperboard.community.ratelimit import Limits
from paperboard.community.service import Community
from paperboard.ingest.loader import load
from paperboard.ingest.snapshot import iter_snapshot
from paperboard.library import Library
from paperboard.search import keyword
from paperboard.search.service import SearchService
from paperboard.storage import embeddings
from paperboard.storage import users as user_store
from paperboard.storage.database import Database
from paperboard.storage.schema import EMBEDDING_DIM, papers
from paperboard.storage.users import User

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "papers.jsonl.gz"
WORK = ROOT / "bench" / "results" / "recommend-latency"
LAST_DAY = date(2026, 7, 1)  # the sample's last announcement day
WARMUP = 5
SAVED = 200
SEED = 5


def build(db: Database) -> None:
    with gzip.open(SAMPLE, "rb") as stream:
        load(db, iter_snapshot(stream))
    rng = np.random.default_rng(SEED)
    centres: dict[str, np.ndarray] = {}
    with db.read() as connection:
        rows = connection.execute(select(papers.c.id, papers.c.primary_category)).all()
    batch = []
    now = datetime.now(UTC)
    for paper_id, category in rows:
        centre = centres.setdefault(category or "", rng.standard_normal(EMBEDDING_DIM))
        vector = centre + 0.8 * rng.standard_normal(EMBEDDING_DIM)
        batch.append((paper_id, "h", (vector / np.linalg.norm(vector)).astype(np.float32)))
        if len(batch) == 2000:
            with db.write() as connection:
                embeddings.store(connection, "synthetic", batch, now)
            batch = []
    with db.write() as connection:
        embeddings.store(connection, "synthetic", batch, now)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    threadpool_limits(1)  # BLAS: one thread per process (DESIGN.md §4), as a web worker runs
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "paperboard.db"
    fresh = not path.exists()
    db = Database(f"sqlite:///{path}")
    if fresh:
        started = time.perf_counter()
        build(db)
        print(f"built the database in {time.perf_counter() - started:.0f} s")
    index = keyword.open_index(WORK)
    keyword.sync(db, index)
    search = SearchService(db, index)
    community = Community(
        db,
        secret_key=b"k" * 32,
        base_url="http://localhost",
        arxiv_api_url="http://127.0.0.1:9/",
        passwords=fast_passwords(),
        limits=Limits.unlimited(),
        clock=lambda: datetime.combine(LAST_DAY, datetime.min.time(), UTC) + timedelta(hours=20),
    )
    library = Library(community.context, search=lambda: search)
    user = prepare_user(db, community, library)
    for days in (7, 31):
        measure(library, user, days, args.repeats)
    index.close()
    db.dispose()


def measure(library: Library, user: User, days: int, repeats: int) -> None:
    since = LAST_DAY - timedelta(days=days - 1)

    def call() -> int:
        found = library.recommendations.recommend(user, since=since, until=LAST_DAY, limit=50)
        return len(found)

    for _ in range(WARMUP):
        count = call()
    timings, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    timings.sort()
    cpu.sort()

    def percentile(values: list[float], share: float) -> float:
        return values[min(len(values) - 1, int(share * len(values)))]

    print(
        f"window {days:2} days: {count} recommended; wall p50 {percentile(timings, 0.5):.1f} ms, "
        f"p90 {percentile(timings, 0.9):.1f}, p99 {percentile(timings, 0.99):.1f}, "
        f"max {timings[-1]:.1f} (mean {statistics.mean(timings):.1f}); CPU p50 "
        f"{percentile(cpu, 0.5):.1f} ms, p99 {percentile(cpu, 0.99):.1f}; "
        f"peak allocated {peak / 2**20:.1f} MiB; load average {os.getloadavg()[0]:.1f}"
    )


def prepare_user(db: Database, community: Community, library: Library) -> User:
    with db.read() as connection:
        existing = user_store.by_username(connection, "reader")
    if existing is not None:
        return existing
    user = community.accounts.create_user("reader", "reader@example.org", "a long password", "user")
    community.accounts.create_user("friend", "friend@example.org", "a long password", "user")
    with db.read() as connection:
        ids = [a for (a,) in connection.execute(select(papers.c.arxiv_id).order_by(papers.c.id))]
    rng = random.Random(SEED)
    chosen = rng.sample(ids, SAVED + 30)
    for number, title in enumerate(("Reading list", "Methods", "To cite")):
        made = library.collections.create(user, title)
        for arxiv_id in chosen[number::3][: SAVED // 3 + (number < SAVED % 3)]:
            library.collections.add_paper(made.slug, arxiv_id, user)
    client = Client("127.0.0.1")
    for arxiv_id in chosen[SAVED : SAVED + 20]:
        community.votes.upvote(user, arxiv_id, client=client)
    for arxiv_id in chosen[SAVED + 20 :]:
        library.recommendations.dismiss(user, arxiv_id)
    for kind, value in (
        ("author", "Yann LeCun"),
        ("author", "Jane Doe"),
        ("category", "cs.CL"),
        ("category", "astro-ph.GA"),
        ("user", "friend"),
        ("search", "diffusion models"),
    ):
        library.follows.follow(user, kind, value)
    return user


if __name__ == "__main__":
    main()
