"""What one uncached paper page costs on PostgreSQL, by part (issue 7).

.venv/bin/python -u bench/paper_page_cost.py [--pgdata bench/results/cache/pg-web/pgdata]
[--pages 300]

Needs the database bench/pg_load.py prepares and keeps with ``--pgdata`` (88,864 papers with
MiniLM vectors). One in-process app (Starlette's TestClient, one request at a time), each of
``--pages`` paper pages requested once, so none is in the response cache; the four parts of
``web.pages.paper`` are timed by wrapping them: the paper and its board days
(``load_paper_page``), similar papers through pgvector (``_similar``), comments and the vote
history (``paper_context``) and the template (``render``). Then the same pages again, from the
cache. Prints milliseconds per page.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mixed_load import embedded_postgres
from pg_load import KEPT_PGDATA, kept_paper_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pgdata", type=Path, default=KEPT_PGDATA)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    pgdata = args.pgdata.resolve()
    paper_ids = kept_paper_ids(pgdata)
    with tempfile.TemporaryDirectory(prefix="paperboard-page-cost-") as temporary:
        folder = Path(temporary)  # the serve data dir (keyword index): ~40 MB
        with embedded_postgres(folder, pgdata) as url:
            os.environ.update(
                PAPERBOARD_DATABASE_URL=url,
                PAPERBOARD_DATA_DIR=str(folder / "data"),
                PAPERBOARD_SYNC_ON_START="false",
                PAPERBOARD_EMBEDDER="minilm-int8",
                PAPERBOARD_LOG_LEVEL="warning",
            )
            from starlette.testclient import TestClient

            from paperboard.asgi import create_app_from_env
            from paperboard.web.pages import papers as pages

            spent: dict[str, float] = collections.defaultdict(float)

            def timed(owner: Any, name: str) -> None:
                function = getattr(owner, name)

                @functools.wraps(function)
                def wrapper(*args: Any, **kwargs: Any) -> Any:
                    started = time.perf_counter()
                    try:
                        return function(*args, **kwargs)
                    finally:
                        spent[name] += time.perf_counter() - started

                setattr(owner, name, wrapper)

            timed(pages.boards_view, "load_paper_page")
            timed(pages, "_similar")
            timed(pages.community, "paper_context")
            timed(pages, "render")
            app = create_app_from_env()
            with TestClient(app) as client:
                client.get("/api/papers/search", params={"q": "warm up"})
                client.get(f"/papers/{paper_ids[0]}")  # connections, templates, the search service
                spent.clear()
                chosen = paper_ids[1 : args.pages + 1]
                started = time.perf_counter()
                for arxiv_id in chosen:
                    assert client.get(f"/papers/{arxiv_id}").status_code == 200
                first = (time.perf_counter() - started) / len(chosen) * 1000
                started = time.perf_counter()
                for arxiv_id in chosen:
                    client.get(f"/papers/{arxiv_id}")
                cached = (time.perf_counter() - started) / len(chosen) * 1000
            parts = {name: round(total / len(chosen) * 1000, 2) for name, total in spent.items()}
            print(f"{len(chosen)} paper pages on PostgreSQL, ms per page")
            print(f"first view (request through TestClient): {first:.1f}; parts: {parts}")
            print(f"cached view: {cached:.2f}")


if __name__ == "__main__":
    main()
