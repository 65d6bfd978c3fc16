"""`paperboard serve` as a real process: it starts on an empty data dir, online or not."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import httpx

from tests.command_line import COMMAND, LIVE_URLS, SAMPLE, free_port, pb
from tests.search.test_embedder import needs_model

START_TIMEOUT_S = 20.0
# Papers waiting to be embedded: more than a batch, so that Ctrl-C comes while embedding.
BACKLOG = 600
# Ctrl-C waits for the slice of a batch in the model (a few abstracts), not for the rest.
STOP_TIMEOUT_S = 10.0


@contextmanager
def serve_process(
    data_dir: Path, *args: str, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """Run `paperboard serve` until /healthz answers 200; yield the process, its base URL and
    its log; stop it if it still runs."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERBOARD_")}
    env["PAPERBOARD_DATA_DIR"] = str(data_dir)
    env["PAPERBOARD_LOG_LEVEL"] = "warning"
    env.update({f"PAPERBOARD_{key.upper()}": value for key, value in settings.items()})
    log = data_dir.parent / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*COMMAND, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            cwd=data_dir.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"serve exited early:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"no /healthz within 20 s:\n{log.read_text()}"
            time.sleep(0.1)
        yield process, base, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@contextmanager
def serving(data_dir: Path, *args: str, **settings: str) -> Iterator[str]:
    """Run `paperboard serve` until /healthz answers 200; yield its base URL; stop it."""
    with serve_process(data_dir, *args, **settings) as (_process, base, _log):
        yield base


def test_serve_starts_on_an_empty_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data, "--no-sync", sync_on_start="false") as base:
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert health.json() == {"status": "ok", "papers": 0}
        page = httpx.get(f"{base}/", timeout=5)
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "paperboard ingest" in page.text
    assert (data / "paperboard.db").is_file()


def test_serve_starts_offline_with_sync_on_start(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening
        settings = {name.lower(): closed for name in LIVE_URLS}
        with serving(tmp_path / "data", sync_on_start="true", **settings) as base:
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            page = httpx.get(f"{base}/", timeout=5)
            assert page.status_code == 200
            assert "paperboard ingest" in page.text


def _closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``connection`` within ``seconds`` (reading what it sends)."""
    connection.settimeout(seconds)
    try:
        while connection.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_serve_closes_connections_whose_request_head_never_ends(tmp_path: Path) -> None:
    """Issue 14, finding 9: uvicorn waits for ever on a request whose headers never finish,
    so a few slow-loris clients could hold every connection."""
    with serving(tmp_path / "data", "--no-sync", sync_on_start="false", header_timeout="1") as base:
        port = int(base.rpartition(":")[2])
        address = ("127.0.0.1", port)
        with socket.create_connection(address) as silent:
            started = time.monotonic()
            assert _closed_within(silent, 5)
            assert time.monotonic() - started >= 0.9  # not at once: the deadline is 1 s
        with socket.create_connection(address) as partial:
            partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert _closed_within(partial, 5)
        with socket.create_connection(address) as trickle:
            # A byte at a time keeps data coming, but the head is still late as a whole.
            started = time.monotonic()
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\n":
                try:
                    trickle.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.1)
            assert _closed_within(trickle, 5)
            assert time.monotonic() - started < 4
        with socket.create_connection(address) as kept_alive:
            # A finished request is answered; the next one's unfinished head is cut off.
            kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            kept_alive.settimeout(5)
            assert kept_alive.recv(4096).startswith(b"HTTP/1.1 200")
            kept_alive.sendall(b"GET /healthz HTTP/1.1\r\n")
            assert _closed_within(kept_alive, 5)
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200


def _claims(database: Path) -> int:
    """Papers an embedding process is embedding right now (their claims are held)."""
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM embedding_claims").fetchone()[0]


@needs_model
def test_ctrl_c_while_embedding_stops_cleanly(tmp_path: Path) -> None:
    """Issue 18, defect 5: Ctrl-C while the real model embedded the backlog aborted serve
    ("terminate called without an active exception", exit 134): onnxruntime's threads were
    still running when the interpreter exited. The hashing embedder has no such threads, so
    only the real model shows it."""
    data = tmp_path / "data"
    papers = tmp_path / "papers.jsonl"
    with gzip.open(SAMPLE, "rt") as sample:
        papers.write_text("".join(islice(sample, BACKLOG)))
    assert pb(data, "ingest", str(papers)).returncode == 0
    database = data / "paperboard.db"
    with serve_process(data, "--no-sync", sync_on_start="false") as (process, _base, log):
        deadline = time.monotonic() + START_TIMEOUT_S
        while _claims(database) == 0:  # a batch is in the model now
            assert time.monotonic() < deadline, f"no embedding within 20 s:\n{log.read_text()}"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        started = time.monotonic()
        code = process.wait(timeout=30)
        stopped_in = time.monotonic() - started
    output = log.read_text()
    assert code == 0, output
    assert "terminate called" not in output and "Aborted" not in output, output
    assert stopped_in < STOP_TIMEOUT_S, output  # between two small slices, not after a batch
    assert _claims(database) == 0  # the batch in flight was handed back
