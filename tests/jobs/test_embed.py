"""The embedding backfill: batches under leases shared by several processes (SQLite and
PostgreSQL), value order, resuming after a crash or kill -9, stale vectors, progress, CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from paperboard.cli import app
from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest.loader import load
from paperboard.jobs import embed as embed_module
from paperboard.jobs.embed import Backlog, backfill, backlog
from paperboard.jobs.schedule import Scheduler
from paperboard.jobs.worker import embed_job
from paperboard.search.embedder import HashingEmbedder
from paperboard.search.vectors import HnswFileIndex, open_vector_index
from paperboard.storage import embedding_claims as claims
from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database
from tests.conftest import PROJECT_ROOT
from tests.search_corpus import EMBEDDER, load_corpus, records


class FailingEmbedder(HashingEmbedder):
    """Dies on its n-th batch, as a process killed mid-run would."""

    def __init__(self, fail_on_batch: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on_batch = fail_on_batch

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on_batch:
            raise RuntimeError("killed")
        return super().embed(texts)


def stored_count(db: Database) -> int:
    with db.read() as connection:
        return embedding_store.count(connection, EMBEDDER.name)


def test_backfill_embeds_everything_in_batches(db: Database) -> None:
    load_corpus(db)
    seen: list[tuple[int, int]] = []
    report = backfill(db, EMBEDDER, batch_size=3, progress=lambda d, t: seen.append((d, t)))
    assert report.embedded == report.pending_at_start == 8
    assert seen == [(3, 8), (6, 8), (8, 8)]
    assert stored_count(db) == 8
    again = backfill(db, EMBEDDER)
    assert again.embedded == 0  # nothing left: a rerun changes nothing


def test_backfill_resumes_after_a_crash(db: Database) -> None:
    load_corpus(db)
    with pytest.raises(RuntimeError, match="killed"):
        backfill(db, FailingEmbedder(fail_on_batch=3), batch_size=2)
    assert stored_count(db) == 4  # two committed batches survive
    report = backfill(db, EMBEDDER, batch_size=2)
    assert report.embedded == 4 and stored_count(db) == 8


def test_limit_and_stop(db: Database) -> None:
    import threading

    load_corpus(db)
    assert backfill(db, EMBEDDER, limit=5, batch_size=2).embedded == 5
    stop = threading.Event()
    stop.set()
    report = backfill(db, EMBEDDER, stop=stop)
    assert report.stopped and report.embedded == 0


def test_changed_paper_is_embedded_again(db: Database) -> None:
    ids = load_corpus(db)
    backfill(db, EMBEDDER)
    with db.read() as connection:
        before = embedding_store.vector_of(connection, ids["2401.00002"])
    new_version = replace(records()[1], abstract="Now about galaxies and dark matter.", version=2)
    load(db, [new_version])
    report = backfill(db, EMBEDDER)
    assert report.embedded == 1
    with db.read() as connection:
        after = embedding_store.vector_of(connection, ids["2401.00002"])
    assert before is not None and after is not None and not np.allclose(before[1], after[1])


def test_backfill_keeps_the_index_file_in_step(sqlite_url: str, tmp_path: Path) -> None:
    db = Database(sqlite_url)
    load_corpus(db)
    index = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    report = backfill(db, EMBEDDER, vector_index=index)
    assert report.indexed == 8 and isinstance(index, HnswFileIndex) and len(index) == 8
    assert HnswFileIndex(db, index.path, EMBEDDER.name, EMBEDDER.dim).index.size == 8
    db.dispose()


# --- the command ---------------------------------------------------------------------------------


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOARD_")}
    env.update(
        PAPERBOARD_DATA_DIR=str(data_dir),
        PAPERBOARD_EMBEDDER="hashing",
        PAPERBOARD_SYNC_ON_START="false",
    )
    env.update(extra)
    return env


def write_papers(path: Path, count: int) -> None:
    lines = []
    for n in range(1, count + 1):
        lines.append(
            json.dumps(
                {
                    "id": f"2402.{n:05d}",
                    "title": f"Paper {n} about topic {n % 7}",
                    "abstract": f"An abstract about topic {n % 7} and detail {n}.",
                    "authors": "Ada Lovelace, Alan Turing",
                    "categories": "cs.LG",
                    "versions": [],
                    "update_date": "2024-02-01",
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


def test_embed_and_search_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_papers(tmp_path / "papers.jsonl", 40)
    env = cli_env(data)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(tmp_path / "papers.jsonl")], env=env).exit_code == 0
    result = runner.invoke(app, ["embed", "--batch-size", "16"], env=env)
    assert result.exit_code == 0, result.output
    assert "embedded 40 papers with hashing" in result.output
    assert (data / "vector-index-hashing.usearch").exists()
    result = runner.invoke(app, ["search", "topic 3 detail 10", "--json", "--limit", "3"], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and lines[0]["id"] == "2402.00010"
    result = runner.invoke(app, ["search", "x", "--sort", "sideways"], env=env)
    assert result.exit_code == 2
    # The summary names the engines that ran (issue 18: --mode semantic said "keyword + ...").
    for mode, engines in (("semantic", "by meaning"), ("keyword", "by keywords")):
        result = runner.invoke(app, ["search", "topic 3", "--mode", mode], env=env)
        assert result.exit_code == 0, result.output
        assert re.search(rf"\d+ matches \({engines}, \d+ ms\)", result.stderr), result.stderr
    hybrid = runner.invoke(app, ["search", "topic 3"], env=env)
    assert "matches (by keywords and meaning, " in hybrid.stderr


def test_embed_with_an_unknown_model_fails_cleanly(tmp_path: Path) -> None:
    env = cli_env(tmp_path, PAPERBOARD_EMBEDDER="nonsense")
    result = CliRunner().invoke(app, ["embed"], env=env)
    assert result.exit_code == 2
    assert "PAPERBOARD_EMBEDDER='nonsense' is invalid" in result.output


TOTAL = 1500


@pytest.mark.timeout(120)
def test_embed_resumes_after_kill_9(tmp_path: Path) -> None:
    """A real process killed with SIGKILL mid-run; the next run finishes the job exactly."""
    data = tmp_path / "data"
    write_papers(tmp_path / "papers.jsonl", TOTAL)
    env = cli_env(data)
    command = [sys.executable, "-m", "paperboard.cli"]
    subprocess.run(
        [*command, "ingest", str(tmp_path / "papers.jsonl")],
        env=env,
        check=True,
        capture_output=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    db = Database(f"sqlite:///{data / 'paperboard.db'}")
    # One paper per transaction, so that the kill lands mid-run.
    slow = subprocess.Popen(
        [*command, "embed", "--batch-size", "1"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while stored_count(db) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=30)
    done_before = stored_count(db)
    assert 20 <= done_before < TOTAL
    finish = subprocess.run(
        [*command, "embed"], env=env, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60
    )
    assert finish.returncode == 0, finish.stderr
    assert f"embedded {TOTAL - done_before} papers" in finish.stdout
    assert stored_count(db) == TOTAL
    index = HnswFileIndex(db, data / "vector-index-hashing.usearch", "hashing", EMBEDDER.dim)
    assert len(index) == TOTAL
    db.dispose()


def test_background_thread_embeds_new_papers(db: Database, tmp_path: Path) -> None:
    import threading

    from paperboard.jobs.embed import start_embedding_thread

    load_corpus(db)
    index = open_vector_index(db, tmp_path, EMBEDDER.name, EMBEDDER.dim)
    stop = threading.Event()
    thread = start_embedding_thread(db, lambda: EMBEDDER, index, interval_s=0.05, stop=stop)
    try:
        deadline = time.monotonic() + 20
        while stored_count(db) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_count(db) == 8
        load(db, [replace(records()[0], arxiv_id="2401.00099", title="A late arrival")])
        while stored_count(db) < 9 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_count(db) == 9
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_background_thread_stops_quietly_without_a_model(db: Database) -> None:
    import threading

    from paperboard.jobs.embed import start_embedding_thread
    from paperboard.search.embedder import EmbedderError

    def missing() -> HashingEmbedder:
        raise EmbedderError("no model here")

    load_corpus(db)
    thread = start_embedding_thread(db, missing, None, interval_s=0.05, stop=threading.Event())
    thread.join(timeout=10)
    assert not thread.is_alive() and stored_count(db) == 0


# --- several processes share the backlog ----------------------------------------------------------

# One embedding process: waits for the test's go, embeds with the hashing model (logging each
# text it embeds), optionally hangs on its n-th batch (to be killed there) and optionally
# names itself as if it ran on another machine (so only its lease can free its claims).
EMBED_SCRIPT = """
import os, sys, time
from pathlib import Path
from paperboard.jobs import holders
from paperboard.jobs.embed import backfill
from paperboard.search.embedder import HashingEmbedder
from paperboard.storage.database import Database

url, folder, name, batch, lease_s, machine, hang_on = sys.argv[1:8]
folder = Path(folder)
if machine:
    holders.this_machine = lambda: machine

class Logged(HashingEmbedder):
    calls = 0

    def embed(self, texts):
        self.calls += 1
        if self.calls == int(hang_on):
            (folder / f"{name}.hung").write_text(str(os.getpid()))
            time.sleep(600)
        time.sleep(0.05)  # a model's pace, so that the processes interleave
        with open(folder / f"{name}.log", "a") as log:
            log.write("".join(text + "\\n" for text in texts))
        return super().embed(texts)

db = Database(url)
(folder / f"{name}.ready").touch()
while not (folder / "go").exists():
    time.sleep(0.01)
backfill(db, Logged(), batch_size=int(batch), lease_s=float(lease_s))
"""


def numbered(count: int) -> list[PaperRecord]:
    base = records()[0]
    return [
        replace(base, arxiv_id=f"2403.{n:05d}", title=f"Paper {n}", abstract=f"Abstract {n}.")
        for n in range(1, count + 1)
    ]


def start_embedder(
    url: str,
    folder: Path,
    name: str,
    *,
    batch: int = 10,
    lease_s: float = 60.0,
    machine: str = "",
    hang_on: int = 0,
) -> subprocess.Popen[bytes]:
    args = [url, str(folder), name, str(batch), str(lease_s), machine, str(hang_on)]
    return subprocess.Popen(
        [sys.executable, "-c", EMBED_SCRIPT, *args], cwd=PROJECT_ROOT, env=dict(os.environ)
    )


def wait_for_file(path: Path, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"the process exited ({process.returncode})"
        assert time.monotonic() < deadline, f"timed out waiting for {path.name}"
        time.sleep(0.02)


def embedded_texts(folder: Path, name: str) -> list[str]:
    path = folder / f"{name}.log"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.timeout(120)
def test_two_processes_never_embed_the_same_paper(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    load(db, numbered(300))
    processes = [start_embedder(database_url, tmp_path, name) for name in ("a", "b")]
    try:
        for name, process in zip("ab", processes, strict=True):
            wait_for_file(tmp_path / f"{name}.ready", process)
        (tmp_path / "go").touch()
        assert [process.wait(90) for process in processes] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    a, b = embedded_texts(tmp_path, "a"), embedded_texts(tmp_path, "b")
    assert a and b  # both took part
    assert len(a) + len(b) == 300 and not set(a) & set(b)
    assert stored_count(db) == 300


def hang_then_kill(url: str, folder: Path, **options: object) -> None:
    """Start an embedding process, let it claim a batch and hang on it, then kill -9 it."""
    process = start_embedder(url, folder, "killed", batch=5, hang_on=2, **options)  # type: ignore[arg-type]
    try:
        wait_for_file(folder / "killed.ready", process)
        (folder / "go").touch()
        wait_for_file(folder / "killed.hung", process)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert len(embedded_texts(folder, "killed")) == 5  # its first batch was stored


@pytest.mark.timeout(120)
def test_a_killed_process_batch_is_taken_over_once_its_lease_expires(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    load(db, numbered(50))
    # On another machine: nothing here can tell that it died, only its lease (long enough
    # for the first run below to end well inside it).
    hang_then_kill(database_url, tmp_path, lease_s=8.0, machine="elsewhere")
    first = backfill(db, EMBEDDER)
    assert first.embedded == 40 and first.claimed_elsewhere == 5
    assert backlog(db, EMBEDDER.name).pending == 5
    wait_until_no_claim_is_live(db)
    second = backfill(db, EMBEDDER)
    assert second.embedded == 5 and second.claimed_elsewhere == 0
    assert stored_count(db) == 50


@pytest.mark.timeout(120)
def test_a_killed_process_on_this_machine_is_taken_over_at_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    load(db, numbered(50))
    hang_then_kill(database_url, tmp_path, lease_s=600.0)
    report = backfill(db, EMBEDDER)  # no waiting for a 10-minute lease
    assert report.embedded == 45 and report.claimed_elsewhere == 0
    assert stored_count(db) == 50


# --- value order and progress ---------------------------------------------------------------------


class Recording(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().embed(texts)


def test_featured_and_newest_papers_are_embedded_first(db: Database) -> None:
    load_corpus(db)
    load(db, [FeaturedRecord("2401.00002", date(2024, 5, 1))])
    embedder = Recording()
    backfill(db, embedder, batch_size=2)
    titles = [text.split(".")[0] for text in embedder.texts]
    assert titles[:3] == [
        "Retrieval Augmented Generation for Question Answering",  # featured
        "Optical Frequency Combs in Microresonators",  # then the newest (4 March)
        "Caching Key Value States to Speed Up Language Model Decoding",  # 1 March
    ]
    assert titles[-1] == "Speculative Decoding with Draft Models"  # the oldest


def claim_elsewhere(db: Database, count: int, lease_s: float) -> None:
    """Claims of a process on another machine, as if it were embedding ``count`` papers."""
    with db.write() as connection:
        batch, _ = claims.claim(
            connection,
            EMBEDDER.name,
            "elsewhere:1:x",
            datetime.now(UTC),
            lease_s,
            count,
            claims.BacklogCursor(),
        )
    assert len(batch) == count


def wait_until_no_claim_is_live(db: Database) -> None:
    deadline = time.monotonic() + 30
    while backlog(db, EMBEDDER.name).in_flight and time.monotonic() < deadline:
        time.sleep(0.1)


def test_progress_figures(db: Database) -> None:
    load_corpus(db)
    assert backlog(db, EMBEDDER.name) == Backlog(papers=8, embedded=0, pending=8, in_flight=0)
    backfill(db, EMBEDDER, limit=3)
    figures = backlog(db, EMBEDDER.name)
    assert figures == Backlog(papers=8, embedded=3, pending=5, in_flight=0)
    assert figures.share_embedded == 3 / 8
    claim_elsewhere(db, 2, 60)
    assert backlog(db, EMBEDDER.name).in_flight == 2
    report = backfill(db, EMBEDDER)
    assert report.pending_at_start == 5 and report.embedded == 3
    assert report.claimed_elsewhere == 2  # still being embedded elsewhere
    assert backlog(db, "another-model") == Backlog(8, 0, 8, 2)


def test_the_embed_job_looks_again_while_others_hold_claims(db: Database) -> None:
    """A round that left another process's claims behind does not mark the papers done:
    the next round, papers unchanged, takes them over once they lapse."""
    load_corpus(db)
    claim_elsewhere(db, 1, 3.0)
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    scheduler = Scheduler(db, [embed_job(db, EMBEDDER, None)], holder="w", clock=lambda: now[0])
    assert scheduler.run_due() == ["embed"]
    assert stored_count(db) == 7
    wait_until_no_claim_is_live(db)
    now[0] += timedelta(seconds=60)
    assert scheduler.run_due() == ["embed"]
    assert stored_count(db) == 8


class StopsTheProcess(HashingEmbedder):
    """Ctrl-C arrives while the first slice of a batch is in the model."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.stop.set()
        return super().embed(texts)


def test_a_stop_ends_the_batch_between_two_slices(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, defect 5: a stopping serve waited for a whole batch (ten seconds and more on
    one core); it now stops after the slice in the model and hands the batch back."""
    load_corpus(db)
    monkeypatch.setattr(embed_module, "EMBED_SLICE", 2)
    stop = threading.Event()
    embedder = StopsTheProcess(stop)
    report = backfill(db, embedder, batch_size=8, stop=stop)
    assert report.stopped and report.embedded == 0
    assert embedder.calls == 1
    with db.read() as connection:
        assert claims.count_live(connection, datetime.now(UTC)) == 0
        assert embedding_store.count_pending(connection, embedder.name) == len(records())
