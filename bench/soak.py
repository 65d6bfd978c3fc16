"""Soak (issue 8): mixed traffic against ``paperboard serve`` while a ``paperboard worker``
ingests and sends digests; memory over time and consistency afterwards.

    .venv/bin/python bench/soak.py [--duration 600] [--users 16] [--think 0.05]
                                   [--backend sqlite|postgresql] [--subscribers 300]

Builds the data dir as bench/web_load.py does (SQLite by default; ``--backend postgresql``
starts an embedded PostgreSQL as bench/pg_load.py does), with the embedder off (keyword search;
no background embedding of 88,864 papers on this 2-core machine). Then, all on loopback:

- a recorded-fixture server (/work/shared/data/fixtures) stands in for Hugging Face
  (``/api/daily_papers``: one of the three recorded boards, re-dated to the asked day, upvotes
  raised a little each round) and the arXiv API (``/api/query``: a recorded 100-entry page);
- an aiosmtpd sink (tests/mailserver.py) is the worker's SMTP server;
- confirmed subscribers (daily and weekly, various topics), and PAPERBOARD_DIGEST_DAILY_AT set
  to two minutes after the start, so the worker sends the pending slot at its start and the
  new daily slot two minutes later;
- ``paperboard serve --workers 2`` and ``paperboard worker``; the mixed traffic of
  bench/mixed_load.py (reads, searches, Atom feeds, upvote toggles, comments) for
  ``--duration`` seconds. Every ``--sync-every`` seconds the bench moves the worker's two sync
  jobs (hourly in production) to "due now" in the ``jobs`` table, so the worker ingests
  repeatedly during the run.

RSS of every serve process and of the worker is sampled each minute. Afterwards: zero 5xx,
``paperboard check`` exits 0, the exact vote check, and at most one digest per subscriber and
period (messages the sink received, grouped by recipient and subject, and the outbox rows).
Exits 1 when any of these fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mixed_load import (
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
from web_load import SHARED, free_port, prepare, stop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.mailserver

from tests.mailserver import Recorder, serve_smtp  # noqa: E402

FIXTURES = SHARED / "fixtures"
HF_BOARDS = sorted((FIXTURES / "hf_daily_papers").glob("hf_daily_papers_*.json"))
ARXIV_PAGE = next((FIXTURES / "arxiv_api" / "arxiv.py_raw").glob("q_testing_s0_m100_*.json"))
ARXIV_EMPTY = next((FIXTURES / "arxiv_api" / "arxiv.py_raw").glob("id_0000.0000_*.json"))
CATEGORIES = ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "stat.ML"]
KEYWORDS = ["diffusion", "language model", "graph", "reinforcement learning", "benchmark"]


# --- the recorded sources -----------------------------------------------------------------------


class Fixtures:
    """Hugging Face and arXiv on loopback, replaying recorded responses."""

    def __init__(self) -> None:
        self.round = 0
        self.requests: Counter[str] = Counter()
        self.boards = [json.loads(path.read_text()) for path in HF_BOARDS]
        self.arxiv_page = json.loads(ARXIV_PAGE.read_text())["body"].encode("latin-1")
        self.arxiv_empty = json.loads(ARXIV_EMPTY.read_text())["body"].encode("latin-1")

    def daily(self, day: str, page: str) -> bytes:
        if page != "0":
            return b"[]"
        number = (int(day.replace("-", "")) + self.round) % len(self.boards)
        entries = json.loads(json.dumps(self.boards[number]))
        for entry in entries:
            entry["paper"]["submittedOnDailyAt"] = f"{day}T08:00:00.000Z"
            entry["paper"]["upvotes"] = int(entry["paper"].get("upvotes") or 0) + self.round
        return json.dumps(entries).encode()

    @contextlib.contextmanager
    def serve(self) -> Any:
        fixtures = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                fixtures.requests[parts.path] += 1
                if parts.path == "/api/daily_papers":
                    body, kind = fixtures.daily(query.get("date", ""), query.get("p", "0")), "json"
                elif parts.path == "/api/query":
                    first = query.get("start", "0") == "0"
                    body = fixtures.arxiv_page if first else fixtures.arxiv_empty
                    kind = "atom+xml"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"application/{kind}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()


# --- set-up -------------------------------------------------------------------------------------


def add_subscribers(count: int) -> None:
    import random

    from paperboard.domain.topics import Topics
    from paperboard.storage import subscriptions
    from paperboard.storage.database import Database

    rng = random.Random(8)
    items = []
    for number in range(count):
        frequency = "weekly" if number % 3 == 0 else "daily"
        kind = number % 4
        if kind == 0:
            topics = Topics()
        elif kind in (1, 2):
            topics = Topics(categories=tuple(sorted(rng.sample(CATEGORIES, rng.randint(1, 2)))))
        else:
            topics = Topics(keywords=tuple(sorted(rng.sample(KEYWORDS, rng.randint(1, 2)))))
        items.append((f"reader{number:04d}@example.org", frequency, topics))
    db = Database(os.environ["PAPERBOARD_DATABASE_URL"])
    try:
        with db.write() as connection:
            subscriptions.add_confirmed(connection, items, datetime.now(UTC))
    finally:
        db.dispose()


def random_paper_ids(count: int = 2000) -> list[str]:
    from sqlalchemy import func, select

    from paperboard.storage.database import Database
    from paperboard.storage.schema import papers

    db = Database(os.environ["PAPERBOARD_DATABASE_URL"])
    try:
        with db.read() as connection:
            query = select(papers.c.arxiv_id).order_by(func.random()).limit(count)
            return [arxiv_id for (arxiv_id,) in connection.execute(query)]
    finally:
        db.dispose()


def new_arxiv_papers(fixtures: Fixtures, count: int = 5) -> list[tuple[str, str]]:
    """(id, title) of papers on the recorded arXiv page that the database does not have yet:
    after the worker's sync they should be searchable."""
    from paperboard.domain.paper import PaperRecord
    from paperboard.ingest.arxiv_api import parse_atom
    from paperboard.storage import papers as paper_store
    from paperboard.storage.database import Database

    records = [i for i in parse_atom(fixtures.arxiv_page).items if isinstance(i, PaperRecord)]
    db = Database(os.environ["PAPERBOARD_DATABASE_URL"])
    try:
        with db.read() as connection:
            known = paper_store.ids_for(connection, [r.arxiv_id for r in records])
    finally:
        db.dispose()
    return [(r.arxiv_id, r.title) for r in records if r.arxiv_id not in known][:count]


def probe_search(base: str, papers: list[tuple[str, str]]) -> dict[str, bool]:
    import httpx

    found = {}
    for arxiv_id, title in papers:
        answer = httpx.get(f"{base}/api/papers/search", params={"q": title}, timeout=30)
        found[arxiv_id] = answer.status_code == 200 and arxiv_id in answer.text
    return found


def make_sync_due() -> None:
    """Move the worker's sync jobs to 'due now' (the hourly sync, run again)."""
    from sqlalchemy import update

    from paperboard.storage.database import Database
    from paperboard.storage.schema import jobs

    db = Database(os.environ["PAPERBOARD_DATABASE_URL"])
    try:
        with db.write() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.name.in_(["sync-hf", "sync-arxiv"]))
                .values(next_due=datetime.now(UTC))
            )
    finally:
        db.dispose()


def response_caches(base: str, scrapes: int = 10) -> dict[str, dict[str, float]]:
    """Each web process's response cache as its /metrics says (a scrape reaches one process:
    several scrapes, told apart by the process's start time), with its RSS from the same scrape."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, dict[str, float]] = {}
    for _ in range(scrapes):
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
        values = {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if not sample.labels
        }
        process = f"started {values.get('process_start_time_seconds', 0):.2f}"
        found[process] = {
            "rss_mb": round(values.get("process_resident_memory_bytes", 0) / 2**20, 1),
            "cache_mb": round(values.get("paperboard_response_cache_bytes", 0) / 2**20, 1),
            "cache_entries": values.get("paperboard_response_cache_entries", 0),
        }
    return found


def outbox_report() -> dict[str, Any]:
    from sqlalchemy import func, select

    from paperboard.storage.database import Database
    from paperboard.storage.schema import digest_outbox, jobs

    db = Database(os.environ["PAPERBOARD_DATABASE_URL"])
    try:
        with db.read() as connection:
            states = connection.execute(
                select(digest_outbox.c.frequency, digest_outbox.c.period, digest_outbox.c.state)
                .add_columns(func.count())
                .group_by(digest_outbox.c.frequency, digest_outbox.c.period, digest_outbox.c.state)
            ).all()
            job_rows = connection.execute(
                select(jobs.c.name, jobs.c.runs, jobs.c.last_ok, jobs.c.last_error)
            ).all()
    finally:
        db.dispose()
    return {
        "outbox": [f"{f} {p} {s}: {n}" for f, p, s, n in states],
        "jobs": {
            row.name: {"runs": row.runs, "ok": row.last_ok, "error": row.last_error}
            for row in job_rows
        },
    }


def digest_check(recorder: Recorder) -> dict[str, Any]:
    # The subject starts with the period: "paperboard daily · Nov 25: <top paper> (+3 more)".
    per_period: Counter[tuple[str, str]] = Counter()
    for received in list(recorder.received):
        period = str(received.message["Subject"]).partition(":")[0]
        per_period[(received.recipient, period)] += 1
    duplicates = {f"{r} / {p}": n for (r, p), n in per_period.items() if n > 1}
    return {
        "messages": sum(per_period.values()),
        "recipients": len({r for r, _ in per_period}),
        "per_period": dict(Counter(p for _, p in per_period)),
        "duplicates": dict(list(duplicates.items())[:10]),
        "ok": not duplicates,
    }


# --- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--think", type=float, default=0.05, help="mean pause (s) per user")
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--sync-every", type=float, default=120)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="build the SQLite data here, or reuse it when it is there (runs are not isolated)",
    )
    parser.add_argument("--prepare-only", action="store_true", help="build --data-dir, stop")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="paperboard-soak-"))
    data_dir = args.data_dir.resolve() if args.data_dir else folder / "data"
    reuse = args.data_dir is not None and (data_dir / "paperboard.db").exists()
    if args.data_dir and args.backend != "sqlite":
        raise SystemExit("--data-dir is for the SQLite backend")
    os.environ["PAPERBOARD_LOG_LEVEL"] = "warning"
    os.environ["PAPERBOARD_DATA_DIR"] = str(data_dir)
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": args.backend,
        "load_at_start": load_average(),
    }
    failed = False
    with contextlib.ExitStack() as stack:
        if args.backend == "postgresql":
            os.environ["PAPERBOARD_DATABASE_URL"] = stack.enter_context(embedded_postgres(folder))
        else:
            os.environ["PAPERBOARD_DATABASE_URL"] = f"sqlite:///{data_dir / 'paperboard.db'}"
        started = time.monotonic()
        if reuse:
            paper_ids = random_paper_ids()
        else:
            _day, paper_ids = prepare(data_dir)
            add_subscribers(args.subscribers)
        report["prepare_s"] = round(time.monotonic() - started, 1)
        if args.prepare_only:
            print(f"prepared {data_dir} in {report['prepare_s']} s")
            shutil.rmtree(folder, ignore_errors=True)
            return
        fixtures = Fixtures()
        probes = new_arxiv_papers(fixtures)
        source_url = stack.enter_context(fixtures.serve())
        smtp = stack.enter_context(serve_smtp())
        send_at = datetime.now(UTC) + timedelta(minutes=2)
        env = os.environ | {
            "PAPERBOARD_SYNC_ON_START": "false",
            "PAPERBOARD_EMBEDDER": "off",
            "PAPERBOARD_HF_API_URL": f"{source_url}/api",
            "PAPERBOARD_ARXIV_API_URL": f"{source_url}/api/query",
            "PAPERBOARD_SMTP_URL": smtp.url,
            "PAPERBOARD_MAIL_FROM": "paperboard <digest@example.org>",
            "PAPERBOARD_SECRET_KEY": "soak-test-signing-key-0123456789abcdef",
            "PAPERBOARD_DIGEST_DAILY_AT": send_at.strftime("%H:%M"),
        }
        report["digest_daily_at"] = send_at.strftime("%H:%M")
        port = free_port()
        serve_cmd = [sys.executable, "-m", "paperboard.cli", "serve", "--port", str(port)]
        server = start_logged([*serve_cmd, "--workers", "2"], env, port, folder / "serve.log")
        with (folder / "worker.log").open("ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "paperboard.cli", "worker"],
                env=env | {"PAPERBOARD_LOG_LEVEL": "info"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        prefix = f"soak{secrets.token_hex(2)}"  # new accounts on a reused data dir too
        samples: list[dict[str, Any]] = []

        def sample(label: str) -> None:
            samples.append(
                {
                    "t": label,
                    "load": load_average(),
                    "serve_mb": rss_mb(server.pid),
                    "worker_mb": rss_mb(worker.pid),
                    "response_caches": response_caches(base),
                }
            )
            print(json.dumps(samples[-1]), flush=True)

        try:
            accounts = create_accounts(args.users, prefix)
            targets = pick_targets(featured_days(), paper_ids)
            sample("0 s")
            box: dict[str, Any] = {}
            traffic = threading.Thread(
                target=lambda: box.update(
                    result=run_mixed(base, accounts, targets, args.duration, think_s=args.think)
                ),
                daemon=True,
            )
            began = time.monotonic()
            traffic.start()
            next_sample, next_sync = 60.0, args.sync_every
            while traffic.is_alive():
                traffic.join(timeout=1.0)
                elapsed = time.monotonic() - began
                if worker.poll() is not None:
                    raise SystemExit(f"the worker exited ({worker.returncode})")
                if elapsed >= next_sync and elapsed < args.duration - 30:
                    fixtures.round += 1
                    make_sync_due()
                    next_sync += args.sync_every
                if elapsed >= next_sample:
                    sample(f"{int(elapsed)} s")
                    next_sample += 60
            sample("end")
            result = box["result"]
            # While both still run: `paperboard check` (safe beside serve) and who holds the
            # keyword index's writer lock (tantivy allows one writer per index directory).
            live = subprocess.run(
                [sys.executable, "-m", "paperboard.cli", "check", "--json"],
                env=env,
                capture_output=True,
                text=True,
            )
            report["check_while_running"] = {"exit": live.returncode, "output": live.stdout[-1500:]}
            locks = subprocess.run(["lslocks", "-o", "PID,PATH"], capture_output=True, text=True)
            report["keyword_index_lock"] = [
                line.strip() for line in locks.stdout.splitlines() if "keyword-index" in line
            ]
            report["pids"] = {"serve": server.pid, "worker": worker.pid}
            report["worker_ingested_papers_searchable"] = probe_search(base, probes)
            # Let the worker finish what is due (an outbox in flight) before stopping it.
            settle = time.monotonic() + 90
            while time.monotonic() < settle:
                outbox = outbox_report()["outbox"]
                if not any(" pending:" in row or " sending:" in row for row in outbox):
                    break
                time.sleep(5)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
            stop(server)
        check = subprocess.run(
            [sys.executable, "-m", "paperboard.cli", "check", "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        summary = result.summary()
        print_summary(summary)
        report.update(
            mixed=summary,
            votes=check_votes(result, prefix),
            digests=digest_check(smtp.recorder),
            database=outbox_report(),
            check={"exit": check.returncode, "output": check.stdout.strip()[-2000:]},
            fixture_requests=dict(fixtures.requests),
            sync_rounds=fixtures.round,
            rss=samples,
            worker_log_errors=_count_errors(folder / "worker.log"),
            serve_log_errors=_count_errors(folder / "serve.log"),
        )
        failed = (
            result.server_errors() > 0
            or not report["votes"]["ok"]
            or not report["digests"]["ok"]
            or report["digests"]["messages"] == 0
            or check.returncode != 0
        )
    print(json.dumps(report, indent=1, default=str))
    if args.keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        raise SystemExit(1)


def _count_errors(path: Path) -> dict[str, Any]:
    lines = path.read_text(errors="replace").splitlines()
    bad = [line for line in lines if "Traceback" in line or " ERROR " in line]
    return {"count": len(bad), "first": bad[:5]}


if __name__ == "__main__":
    main()
