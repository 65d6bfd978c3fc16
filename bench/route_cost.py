"""CPU time per request of the site's main routes, in-process, for comparing two versions of
the code side by side on a busy machine (wall-clock throughput there says more about the
neighbours than about the code).

    PYTHONPATH=OLD/src python bench/route_cost.py --data-dir DIR   # one version
    python bench/route_cost.py --compare OLD_SRC NEW_SRC --old-data D1 --new-data D2

Each target is requested through the ASGI app (Starlette's TestClient) by one client; the
process's CPU time (all threads) is divided by the number of requests. Paper pages rotate over
papers never requested before in the process, so each one is built (a first view); the day
page and the API are mostly served by the response cache, as in production. Data dirs are the
ones bench/web_load.py prepares (--data-dir), one per version (their schemas differ).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _app(data_dir: Path) -> Any:
    from paperboard.config import load_settings
    from paperboard.runtime import open_runtime
    from paperboard.web.app import create_app

    os.environ.setdefault("PAPERBOARD_EMBEDDER", "off")
    runtime = open_runtime(load_settings(data_dir=data_dir))
    if len(inspect.signature(create_app).parameters) == 1:
        return create_app(runtime)
    return create_app(runtime.settings, runtime.db, runtime.keyword_index)  # before the root


def measure(data_dir: Path, rounds: int, only: str | None = None) -> dict[str, float]:
    import sqlite3

    from fastapi.testclient import TestClient

    with sqlite3.connect(data_dir / "paperboard.db") as db:
        (day,) = db.execute("SELECT max(day) FROM featured WHERE day <= '2026-08-11'").fetchone()
        ids = [r[0] for r in db.execute("SELECT arxiv_id FROM papers ORDER BY id LIMIT 6000")]
    targets = {
        "day page": lambda i: f"/papers/date/{day}",
        "home page": lambda i: "/",
        "/api/daily_papers": lambda i: f"/api/daily_papers?date={day}",
        "paper page (first view)": lambda i: f"/papers/{ids[i]}",
        "/api/papers/search": lambda i: f"/api/papers/search?q=diffusion+language+models+{i % 50}",
        "/healthz": lambda i: "/healthz",
    }
    results: dict[str, float] = {}
    with TestClient(_app(data_dir)) as client:
        offset = 0
        for label, path in targets.items():
            if only and only not in label:
                continue
            for i in range(20):  # warm-up: templates, connections, the cache's first build
                client.get(path(offset + i))
            offset += 20
            samples = []
            for _ in range(rounds):
                started = time.process_time()
                for i in range(200):
                    response = client.get(path(offset + i))
                    assert response.status_code == 200, (label, response.status_code)
                offset += 200
                samples.append((time.process_time() - started) / 200 * 1000)
            results[label] = statistics.median(samples)
    return results


def compare(args: argparse.Namespace) -> None:
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(args.repeat):
        for who, src, data in (
            ("old", args.compare[0], args.old_data),
            ("new", args.compare[1], args.new_data),
        ):
            env = os.environ | {"PYTHONPATH": src}
            out = subprocess.run(
                [sys.executable, __file__, "--data-dir", str(data), "--rounds", str(args.rounds)]
                + (["--only", args.only] if args.only else []),
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[who].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"CPU ms per request, median of {args.repeat} alternating runs (old, new, ratio new/old)")
    print("| target | old | new | new/old |\n| --- | ---: | ---: | ---: |")
    for label in runs["old"][0]:
        old = statistics.median(r[label] for r in runs["old"])
        new = statistics.median(r[label] for r in runs["new"])
        print(f"| {label} | {old:.2f} | {new:.2f} | {new / old:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", nargs=2, metavar=("OLD_SRC", "NEW_SRC"))
    parser.add_argument("--old-data", type=Path)
    parser.add_argument("--new-data", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="measure only the targets whose label contains this")
    args = parser.parse_args()
    if args.compare:
        compare(args)
    else:
        print(json.dumps(measure(args.data_dir, args.rounds, args.only)))


if __name__ == "__main__":
    main()
