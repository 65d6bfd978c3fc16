"""The embedding backfill: batches, resuming after a crash or kill -9, stale vectors, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from paperboard.cli import app
from paperboard.ingest.loader import load
from paperboard.jobs.embed import backfill
from paperboard.search.embedder import HashingEmbedder
from paperboard.search.vectors import HnswFileIndex, open_vector_index
from paperboard.storage import embeddings as embedding_store
from paperboard.storage.database import Database
from tests.search_corpus import EMBEDDER, load_corpus, records

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
