"""Paper pages on PostgreSQL from a cold start, in 5-second wrk windows (issue 7).

PAPERBOARD_WEB_THREADS=N .venv/bin/python -u bench/first_views.py [--windows 8]
[--pgdata bench/results/cache/pg-web/pgdata]

bench/pg_load.py's paper-page target reports one p99 for 60 s; this shows where in the run
the slow requests are. Starts the embedded PostgreSQL on the data pg_load.py kept with
``--pgdata`` and ``paperboard serve --workers 2``, warms the search model, then runs
``wrk -t1 -c64 -d5s`` (a Lua script picks one of the 2,000 papers per request) ``--windows``
times back to back, so each window starts with what the previous ones built. Prints one
line per window: requests/s, p50/p90/p99, max and wrk's socket errors (timeouts: > 2 s).
Needs Debian's wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mixed_load import QUERIES, embedded_postgres, start_logged
from pg_load import KEPT_PGDATA, MODEL, kept_paper_ids
from web_load import LUA_PAPERS, free_port, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pgdata", type=Path, default=KEPT_PGDATA)
    parser.add_argument("--windows", type=int, default=8)
    args = parser.parse_args()
    pgdata = args.pgdata.resolve()
    paper_ids = kept_paper_ids(pgdata)
    with tempfile.TemporaryDirectory(prefix="paperboard-first-views-") as temporary:
        folder = Path(temporary)  # the serve data dir (keyword index): ~40 MB
        with embedded_postgres(folder, pgdata) as url:
            script = folder / "papers.lua"
            script.write_text(LUA_PAPERS % ", ".join(f'"{i}"' for i in paper_ids))
            port = free_port()
            env = os.environ | {
                "PAPERBOARD_DATABASE_URL": url,
                "PAPERBOARD_DATA_DIR": str(folder / "data"),
                "PAPERBOARD_SYNC_ON_START": "false",
                "PAPERBOARD_EMBEDDER": MODEL,
                "PAPERBOARD_LOG_LEVEL": "warning",
            }
            command = [sys.executable, "-m", "paperboard.cli", "serve", "--port", str(port)]
            server = start_logged([*command, "--workers", "2"], env, port, folder / "serve.log")
            base = f"http://127.0.0.1:{port}"
            try:
                import httpx

                for query in QUERIES:  # as pg_load.py: the query embedder loads on the first search
                    httpx.get(f"{base}/api/papers/search", params={"q": query}, timeout=60)
                httpx.get(f"{base}/papers/{paper_ids[0]}", timeout=30)
                for window in range(args.windows):
                    wrk = ["wrk", "-t1", "-c64", "-d5s", "--latency", "-s", str(script), base]
                    output = subprocess.run(wrk, capture_output=True, text=True, check=True).stdout
                    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
                    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.MULTILINE))
                    latency_max = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)
                    errors = re.search(r"Socket errors: (.*)", output)
                    print(
                        f"window {window} ({window * 5}-{window * 5 + 5} s): "
                        f"{rate[1] if rate else '?'} req/s, p50 {percentiles.get('50')}, "
                        f"p90 {percentiles.get('90')}, p99 {percentiles.get('99')}, "
                        f"max {latency_max[1] if latency_max else '?'}"
                        + (f", {errors[1]}" if errors else ""),
                        flush=True,
                    )
            finally:
                stop(server)


if __name__ == "__main__":
    main()
