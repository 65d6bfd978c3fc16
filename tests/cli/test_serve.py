"""`paperboard serve` as a real process: it starts on an empty data dir, online or not."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.command_line import COMMAND, LIVE_URLS, free_port

START_TIMEOUT_S = 20.0


@contextmanager
def serving(data_dir: Path, *args: str, **settings: str) -> Iterator[str]:
    """Run `paperboard serve` until /healthz answers 200; yield its base URL; stop it."""
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
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


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
