"""Crash safety, end to end: the real ``paperboard`` program is killed with SIGKILL in the
middle of its work, then run again; nothing may be lost, nothing duplicated, and
``paperboard check`` must find everything consistent afterwards.

tests/cli/test_ingest.py (kill during ingest, then count) and tests/jobs/test_embed.py (kill during
embed, then count) check the resumption itself; these tests add what a count cannot see: the
derived state (tantivy documents, vector-file keys, outbox leases) as ``check`` verifies it,
and a digest run killed against a real SMTP server.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from paperboard.search import keyword
from paperboard.search.keyword import KeywordIndex
from paperboard.search.vectors import HnswFileIndex, index_path
from paperboard.storage.database import Database
from tests.command_line import COMMAND, SAMPLE, environment, pb
from tests.digest_helpers import BASE_URL, DAY, add_subscribers, load_board
from tests.mailserver import Received, Recorder, serve_smtp

pytestmark = pytest.mark.timeout(120)


def sample_snapshot(path: Path, lines: int) -> list[str]:
    """The first ``lines`` papers of the real sample, as a snapshot file; their arXiv ids."""
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} not found")
    with gzip.open(SAMPLE, "rb") as source, gzip.open(path, "wb", compresslevel=1) as out:
        chosen = list(itertools.islice(source, lines))
        out.writelines(chosen)
    return [json.loads(line)["id"] for line in chosen]


def sql(database: Path, query: str) -> list[tuple[Any, ...]]:
    """Read-only SQL on the data dir's database, from outside paperboard (as an operator)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as connection:
        return connection.execute(query).fetchall()


def count_when_ready(database: Path, table: str) -> int:
    try:
        return sql(database, f"SELECT count(*) FROM {table}")[0][0]
    except sqlite3.OperationalError:  # not created or not migrated yet
        return 0


def start(data: Path, *args: str, **settings: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*COMMAND, *args],
        env=environment(data, **settings),
        cwd=data.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: helper processes die with it
    )


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> None:
    """SIGKILL the process group as soon as ``ready()``; fail if it finished first."""
    try:
        deadline = time.monotonic() + 60
        while not ready():
            assert process.poll() is None, f"{what} finished before it could be killed"
            assert time.monotonic() < deadline, f"{what}: nothing happened within 60 s"
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, f"{what} exited by itself"


def check_report(data: Path, *args: str, **settings: str) -> tuple[int, dict[str, dict[str, Any]]]:
    """``paperboard check --json`` (plus ``args``): exit status and the checks by name."""
    result = pb(data, "check", "--json", *args, timeout=120, **settings)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] == (result.returncode == 0)
    return result.returncode, {item["name"]: item for item in report["checks"]}


def assert_consistent(data: Path, **settings: str) -> None:
    status, checks = check_report(data, **settings)
    bad = {name: item["detail"] for name, item in checks.items() if item["status"] != "ok"}
    if settings.get("embedder") == "off":
        assert checks["embeddings"]["status"] == checks["vector index"]["status"] == "off"
        bad.pop("embeddings"), bad.pop("vector index")
    assert status == 0 and not bad, bad


def keyword_ids(data: Path) -> list[int]:
    index = KeywordIndex(keyword.index_path(data))
    try:
        return sorted(index.indexed_ids())
    finally:
        index.close()


# --- ingest --------------------------------------------------------------------------------------

INGEST_LINES = 3000
INGEST_BATCH = 200


def test_kill_9_during_ingest_then_check_and_rerun(tmp_path: Path) -> None:
    snapshot = tmp_path / "part.jsonl.gz"
    arxiv_ids = sample_snapshot(snapshot, INGEST_LINES)
    distinct = len(set(arxiv_ids))
    data = tmp_path / "data"
    database = data / "paperboard.db"
    off = {"embedder": "off"}  # this test is about papers and the keyword index

    ingest = start(data, "ingest", "--batch-size", str(INGEST_BATCH), str(snapshot), **off)
    kill_when(ingest, lambda: count_when_ready(database, "papers") >= 2 * INGEST_BATCH, "ingest")
    stored = count_when_ready(database, "papers")
    assert 0 < stored < distinct

    # What the kill left: whole batches in the database, the keyword index behind them.
    status, checks = check_report(data, **off)
    assert checks["database"]["status"] == "ok"
    assert status == 1 and checks["keyword index"]["status"] == "problem"
    assert 0 < checks["keyword index"]["count"] <= stored
    assert "not synced yet" in checks["keyword index"]["detail"]

    rerun = pb(data, "ingest", "--json", str(snapshot), timeout=120, **off)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert (report["new"], report["skipped"]) == (distinct - stored, 0)

    assert_consistent(data, **off)
    # Nothing lost, nothing twice: one row and one tantivy document per arXiv id.
    rows = sql(database, "SELECT id, arxiv_id FROM papers ORDER BY id")
    assert sorted(arxiv for _, arxiv in rows) == sorted(set(arxiv_ids))
    assert keyword_ids(data) == [paper_id for paper_id, _ in rows]


# --- embed ---------------------------------------------------------------------------------------

EMBED_PAPERS = 1000


def test_kill_9_during_embed_then_check_and_rerun(tmp_path: Path) -> None:
    snapshot = tmp_path / "part.jsonl.gz"
    sample_snapshot(snapshot, EMBED_PAPERS)
    data = tmp_path / "data"
    database = data / "paperboard.db"
    hashing = {"embedder": "hashing"}  # a model-free embedder: the kill, not the model, matters
    loaded = pb(data, "ingest", str(snapshot), timeout=120, **hashing)
    assert loaded.returncode == 0, loaded.stderr
    total = count_when_ready(database, "papers")

    # Small batches (one commit each), so that the kill lands between and inside them.
    embed = start(data, "embed", "--batch-size", "4", **hashing)
    kill_when(embed, lambda: count_when_ready(database, "embeddings") >= 200, "embed")
    done = count_when_ready(database, "embeddings")
    assert 200 <= done < total

    status, checks = check_report(data, **hashing)
    assert status == 1
    assert checks["embeddings"]["status"] == "problem"
    assert checks["embeddings"]["count"] == total - done  # exactly the papers left to embed
    # The vector file is saved at the end of a run (or every 2 minutes): the killed run
    # left none, and check says so instead of trusting it.
    assert checks["vector index"]["status"] == "problem"
    assert checks["keyword index"]["status"] == "ok"

    rerun = pb(data, "embed", timeout=120, **hashing)
    assert rerun.returncode == 0, rerun.stderr
    assert f"embedded {total - done} papers" in rerun.stdout

    assert_consistent(data, **hashing)
    ids = [row[0] for row in sql(database, "SELECT id FROM papers ORDER BY id")]
    embedded = sql(database, "SELECT paper_id, model FROM embeddings ORDER BY paper_id")
    assert embedded == [(paper_id, "hashing") for paper_id in ids]
    db = Database(f"sqlite:///{database}", upgrade=False)
    try:
        vectors = HnswFileIndex(db, index_path(data, "hashing"), "hashing", 384)
        assert vectors.load_problem is None
        assert sorted(vectors.keys().tolist()) == ids
    finally:
        db.dispose()


# --- digest send ---------------------------------------------------------------------------------

SUBSCRIBERS = 30
KILL_AT = 10  # the kill lands while this message waits for the server's reply


def test_kill_9_during_digest_send_then_check_repair_and_rerun(tmp_path: Path) -> None:
    """The SMTP server is slow, and holds its reply to the KILL_AT-th message until the
    sender was killed: that message is stored by the server but its row stays 'sending',
    the rest of the batch stays leased by a process that is gone. ``check`` finds those
    leases, ``check --repair`` releases them (and marks the handed-over one uncertain, not to
    be resent), and the rerun sends the others: every subscriber gets exactly one digest."""
    data = tmp_path / "data"
    database = data / "paperboard.db"
    db = Database(f"sqlite:///{database}")
    load_board(db)
    addresses = [f"reader{i:03d}@example.org" for i in range(SUBSCRIBERS)]
    add_subscribers(db, addresses)
    db.dispose()

    recorder = Recorder()
    stored = threading.Event()
    killed = threading.Event()

    def slow_rcpt(address: str) -> None:
        time.sleep(0.02)  # a slow server: the run takes long enough to be killed mid-way

    def hold_reply(received: Received) -> None:
        if len(recorder.received) == KILL_AT:
            stored.set()
            killed.wait(30)  # no reply to this message before the sender is dead

    recorder.on_rcpt = slow_rcpt
    recorder.after_store = hold_reply
    with serve_smtp(recorder) as server:
        settings = {
            "smtp_url": f"smtp://127.0.0.1:{server.port}?timeout=30",
            "base_url": BASE_URL,
            "secret_key": "s" * 40,
            "mail_from": "paperboard <digest@example.org>",
            "embedder": "off",
        }
        send = ("digest", "send", "--frequency", "daily", "--date", DAY.isoformat())
        process = start(data, *send, **settings)
        try:
            kill_when(process, stored.is_set, "digest send")
        finally:
            killed.set()
        assert len(recorder.received) == KILL_AT
        states = dict(sql(database, "SELECT state, count(*) FROM digest_outbox GROUP BY state"))
        assert states == {"sent": KILL_AT - 1, "sending": 1, "pending": SUBSCRIBERS - KILL_AT}

        status, checks = check_report(data, **settings)
        assert status == 1
        outbox = checks["digest outbox"]
        assert outbox["status"] == "problem"
        assert outbox["count"] == SUBSCRIBERS - KILL_AT + 1
        assert "leased by a process of this machine that no longer runs" in outbox["detail"]

        status, checks = check_report(data, "--repair", **settings)
        assert status == 0 and checks["digest outbox"]["status"] == "repaired"

        recorder.after_store = None
        rerun = pb(data, *send, "--json", timeout=120, **settings)
        assert rerun.returncode == 0, rerun.stderr
        report = json.loads(rerun.stdout.strip().splitlines()[-1])
        assert (report["enqueued"], report["sent"]) == (0, SUBSCRIBERS - KILL_AT)
        time.sleep(0.1)  # the server finishes storing the last message

    assert Counter(recorder.recipients()) == Counter({address: 1 for address in addresses})
    states = dict(sql(database, "SELECT state, count(*) FROM digest_outbox GROUP BY state"))
    assert states == {"sent": SUBSCRIBERS - 1, "uncertain": 1}
    assert_consistent(data, embedder="off")
