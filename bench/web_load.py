"""Web throughput and latency with the 88,864-paper sample on the embedded default.

    .venv/bin/python bench/web_load.py [--duration 30] [--connections 32]

Builds a data dir (sample ingested; the last 30 listing days each get 60 featured papers with
seeded upvotes, plus the recorded Hugging Face boards), starts `paperboard serve --workers 2`,
and runs `wrk -t1 -cN -dD --latency` on loopback against: the day page, `/api/daily_papers`,
paper pages (a Lua script picks one of 2,000 papers per request, so the cache does not hide
the work), the search API, and the baseline app (bench/baseline_app.py). Needs Debian's wrk.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = SHARED / "arxiv-sample" / "papers.jsonl.gz"
HF_BOARDS = sorted((SHARED / "fixtures" / "hf_daily_papers").glob("hf_daily_papers_*.json"))
FEATURED_DAYS = 30
PER_DAY = 60
SEED = 20261126


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(data_dir: Path) -> tuple[str, list[str]]:
    """Ingest and feature; returns (a featured day, paper ids for the page mix)."""
    env = os.environ | {"PAPERBOARD_DATA_DIR": str(data_dir), "PAPERBOARD_LOG_LEVEL": "warning"}
    cli = [sys.executable, "-m", "paperboard.cli"]
    subprocess.run([*cli, "ingest", str(SAMPLE)], env=env, check=True, capture_output=True)
    for board in HF_BOARDS:
        subprocess.run([*cli, "ingest", str(board)], env=env, check=True, capture_output=True)
    os.environ["PAPERBOARD_DATA_DIR"] = str(data_dir)
    from paperboard.domain.paper import FeaturedRecord
    from paperboard.ingest.loader import load
    from paperboard.runtime import open_runtime
    from paperboard.storage import papers as paper_store

    runtime = open_runtime()
    rng = random.Random(SEED)
    by_day: dict[str, list[str]] = {}
    with runtime.db.read() as connection:
        for record in paper_store.iter_all(connection):
            if record.published_at:
                by_day.setdefault(record.published_at.date().isoformat(), []).append(
                    record.arxiv_id
                )
    days = sorted(by_day)[-FEATURED_DAYS:]
    items = []
    for day in days:
        chosen = rng.sample(by_day[day], min(PER_DAY, len(by_day[day])))
        moment = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=8)
        for arxiv_id in chosen:
            items.append(
                FeaturedRecord(
                    arxiv_id=arxiv_id,
                    day=datetime.fromisoformat(day).date(),
                    submitted_by="bench",
                    featured_at=moment,
                    upvotes=int(rng.paretovariate(1.2)) - 1,
                    source="bench",
                )
            )
    load(runtime.db, items)
    all_ids = [arxiv_id for day in sorted(by_day) for arxiv_id in by_day[day]]
    runtime.close()
    return days[-1], rng.sample(all_ids, 2000)


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"server on {port} did not start: {command}")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, 15)
    process.wait(timeout=20)


LUA_PAPERS = """
ids = {%s}
request = function()
  return wrk.format("GET", "/papers/" .. ids[math.random(#ids)])
end
"""


def wrk(url: str, connections: int, duration: int, script: Path | None = None) -> dict[str, str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    return {
        "rps": rate[1] if rate else "?",
        "p50": percentiles.get("50", "?"),
        "p99": percentiles.get("99", "?"),
        "errors": (errors[1] if errors else "0")
        + (f"; {socket_errors[1]}" if socket_errors else ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="reuse a data dir this bench or bench/soak.py prepared (runs are then not isolated)",
    )
    parser.add_argument("--only", help="run only the targets whose label contains this")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="paperboard-bench-"))
    if args.data_dir and (args.data_dir / "paperboard.db").exists():
        data_dir = args.data_dir.resolve()
        day, paper_ids = prepared(data_dir)
    else:
        data_dir = args.data_dir.resolve() if args.data_dir else folder / "data"
        day, paper_ids = prepare(data_dir)
    script = folder / "papers.lua"
    script.write_text(LUA_PAPERS % ", ".join(f'"{i}"' for i in paper_ids))
    port, base_port = free_port(), free_port()
    env = os.environ | {
        "PAPERBOARD_DATA_DIR": str(data_dir),
        "PAPERBOARD_SYNC_ON_START": "false",
        "PAPERBOARD_LOG_LEVEL": "warning",
        # Steady state: no background embedding of 88,864 papers (~45 min of one core) while
        # wrk runs; search is keyword-only here (bench/search_latency.py measures hybrid).
        "PAPERBOARD_EMBEDDER": os.environ.get("PAPERBOARD_EMBEDDER", "off"),
    }
    server = start(
        [sys.executable, "-m", "paperboard.cli", "serve", "--port", str(port), "--workers", "2"],
        env,
        port,
    )
    base = f"http://127.0.0.1:{port}"
    targets = [
        ("day page", f"{base}/papers/date/{day}", None),
        ("home page /", f"{base}/", None),
        ("/api/daily_papers", f"{base}/api/daily_papers?date={day}", None),
        ("paper pages (2,000 ids)", base, script),
        ("/api/papers/search", f"{base}/api/papers/search?q=diffusion+language+models", None),
    ]
    if args.only:
        targets = [t for t in targets if args.only in t[0]]
    rows = []
    try:
        for label, url, lua in targets:
            httpx.get(url if lua is None else f"{base}/papers/{paper_ids[0]}", timeout=30)
            rows.append((label, wrk(url, args.connections, args.duration, lua)))
    finally:
        stop(server)
    if args.only:
        print_rows(rows, args.connections, args.duration, day)
        return
    baseline = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.baseline_app:create",
            "--port",
            str(base_port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env | {"PAPERBOARD_BASELINE_DB": str(data_dir / "paperboard.db"), "PYTHONPATH": str(ROOT)},
        base_port,
    )
    try:
        rows.append(
            (
                "baseline: bare FastAPI + Jinja2, 30 rows",
                wrk(f"http://127.0.0.1:{base_port}/", args.connections, args.duration),
            )
        )
    finally:
        stop(baseline)
    print_rows(rows, args.connections, args.duration, day)
    shutil.rmtree(folder, ignore_errors=True)


def print_rows(
    rows: list[tuple[str, dict[str, str]]], connections: int, duration: int, day: str
) -> None:
    print(f"wrk -t1 -c{connections} -d{duration}s, 2 server processes, {day} board")
    print("| target | req/s | p50 | p99 | non-2xx/errors |")
    print("| --- | ---: | ---: | ---: | --- |")
    for label, result in rows:
        print(
            f"| {label} | {result['rps']} | {result['p50']} | {result['p99']} | "
            f"{result['errors']} |"
        )


def prepared(data_dir: Path) -> tuple[str, list[str]]:
    """(the newest day the bench featured, 2,000 random paper ids) of a prepared data dir."""
    from sqlalchemy import func, select

    from paperboard.storage.database import Database
    from paperboard.storage.schema import featured, papers

    db = Database(f"sqlite:///{data_dir / 'paperboard.db'}")
    try:
        with db.read() as connection:
            day = connection.execute(
                select(func.max(featured.c.day)).where(featured.c.featured_by == "bench")
            ).scalar_one()
            query = select(papers.c.arxiv_id).order_by(func.random()).limit(2000)
            paper_ids = [arxiv_id for (arxiv_id,) in connection.execute(query)]
    finally:
        db.dispose()
    return str(day), paper_ids


if __name__ == "__main__":
    main()
