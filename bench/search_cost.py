"""CPU time of ``SearchService.search`` (keyword engine; 50 results with their rows and
highlights) on a data dir bench/web_load.py prepared, for side-by-side runs of two versions:

    PYTHONPATH=OLD/src .venv/bin/python bench/search_cost.py DATA_DIR_OLD
    PYTHONPATH=NEW/src .venv/bin/python bench/search_cost.py DATA_DIR_NEW
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from paperboard.config import load_settings
from paperboard.runtime import open_runtime
from paperboard.search.service import SearchRequest

WORDS = ("alignment", "robust", "image", "video", "graph", "speech", "survey", "kernel", "agent")
ROUNDS = 5


def main() -> None:
    os.environ["PAPERBOARD_EMBEDDER"] = "off"
    runtime = open_runtime(load_settings(data_dir=Path(sys.argv[1])))
    if hasattr(runtime, "search"):
        service = runtime.search
    else:  # before the composition root built it
        from paperboard.search.service import open_search_service

        service = open_search_service(runtime.db, runtime.keyword_index, runtime.settings.data_dir)
    queries = [f"diffusion language models {word}" for word in WORDS]
    for query in queries:
        service.search(SearchRequest(query=query, per_page=50))
    samples = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for query in queries:
            service.search(SearchRequest(query=query, per_page=50))
        samples.append((time.process_time() - started) / len(queries) * 1000)
    print(f"SearchService.search: {statistics.median(samples):.2f} CPU ms (median of {ROUNDS})")


if __name__ == "__main__":
    main()
