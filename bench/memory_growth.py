"""Where a web process's memory goes under a long read mix (issue 8): tracemalloc in-process.

The soak (bench/soak.py) samples RSS from outside; this runs the same app in one process with
tracemalloc on, sends rounds of the soak's read mix (paper pages over 2,000 ids, day pages,
the daily-papers API, feeds, searches) through Starlette's TestClient, and after each round
prints the Python heap traced, the response cache's size and RSS. The last rounds' difference
by allocation site says what keeps growing once the caches are full.

    .venv/bin/python bench/memory_growth.py --data-dir bench/results/cache/soak/data
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
import tracemalloc
from pathlib import Path


def rss_mib() -> float:
    with open("/proc/self/statm") as stream:
        pages = int(stream.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="a prepared data dir")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=4000, help="per round")
    args = parser.parse_args()
    os.environ["PAPERBOARD_DATA_DIR"] = str(args.data_dir.resolve())
    os.environ["PAPERBOARD_EMBEDDER"] = "off"
    os.environ["PAPERBOARD_LOG_LEVEL"] = "warning"
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from paperboard.runtime import open_runtime
    from paperboard.storage.schema import featured, papers
    from paperboard.web.app import create_app

    runtime = open_runtime()
    with runtime.db.read() as connection:
        paper_ids = [
            arxiv_id
            for (arxiv_id,) in connection.execute(
                select(papers.c.arxiv_id).order_by(func.random()).limit(2000)
            )
        ]
        days = [
            str(day)
            for (day,) in connection.execute(select(featured.c.day).group_by(featured.c.day))
        ]
    queries = ["diffusion models", "graph neural networks", "speculative decoding cache",
               "galaxy rotation curves", "protein folding", "reinforcement learning robots",
               "quantum error correction", "large language model alignment"]  # fmt: skip
    rng = random.Random(8)

    def request_path() -> str:
        kind = rng.random()
        if kind < 0.45:
            return f"/papers/{rng.choice(paper_ids)}"
        if kind < 0.65:
            return f"/papers/date/{rng.choice(days)}"
        if kind < 0.78:
            return f"/api/daily_papers?date={rng.choice(days)}"
        if kind < 0.88:
            return rng.choice(
                ["/feeds/trending.atom", "/feeds/new.atom", f"/feeds/date/{rng.choice(days)}.atom"]
            )
        return f"/api/papers/search?q={rng.choice(queries).replace(' ', '+')}"

    app = create_app(runtime)
    tracemalloc.start(10)
    snapshots = []
    with TestClient(app) as client:
        for number in range(args.rounds + 1):
            started = time.perf_counter()
            statuses: dict[int, int] = {}
            for _ in range(args.requests if number else 500):  # round 0: warm-up
                status = client.get(request_path()).status_code
                statuses[status] = statuses.get(status, 0) + 1
            cache = app.state.response_cache
            traced, _peak = tracemalloc.get_traced_memory()
            snapshots.append(tracemalloc.take_snapshot())
            print(
                f"round {number}: {sum(statuses.values())} requests {statuses} in "
                f"{time.perf_counter() - started:.0f}s; traced {traced / 2**20:.1f} MiB, "
                f"response cache {cache.bytes / 2**20:.1f} MiB in {len(cache)} entries, "
                f"RSS {rss_mib():.1f} MiB (max {max_rss_mib():.0f})",
                flush=True,
            )
    half = len(snapshots) // 2
    print(f"\nlargest growth by site, round {half} -> round {len(snapshots) - 1}:")
    for stat in snapshots[-1].compare_to(snapshots[half], "lineno")[:12]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback}")
    runtime.close()


if __name__ == "__main__":
    main()
