"""Running the command line as a user would: as a real process, or in this process (quicker),
with a data dir of its own and no PAPERBOARD_* setting of the caller."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from paperboard.cli import app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT_ROOT.parent / "shared" / "data" / "arxiv-sample" / "papers.jsonl.gz"
SCRIPT = PROJECT_ROOT / ".venv" / "bin" / "paperboard"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "paperboard.cli"]
# Fixture files (tests/conftest.py's fixtures_dir) the command tests load.
SNAPSHOT = "kaggle_arxiv_snapshot/wanng-ide_arxiv-metadata-oai-snapshot_head.jsonl"
HF_DAY = "hf_daily_papers/hf_daily_papers_2024-06-13.json"
LIVE_URLS = ("ARXIV_API_URL", "ARXIV_OAI_URL", "ARXIV_RSS_URL", "ARXIV_HTML_URL", "HF_API_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """The process environment without any PAPERBOARD_* of the caller, offline by default."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERBOARD_")}
    env["PAPERBOARD_DATA_DIR"] = str(data_dir)
    env["PAPERBOARD_SYNC_ON_START"] = "false"
    offline = f"http://127.0.0.1:{free_port()}"
    for name in LIVE_URLS:
        env[f"PAPERBOARD_{name}"] = offline
    env.update({f"PAPERBOARD_{key.upper()}": value for key, value in settings.items()})
    return env


def pb(
    data_dir: Path, *args: str, timeout: float = 60, **settings: str
) -> subprocess.CompletedProcess[str]:
    """``paperboard ARGS`` as a process (its exit, its output, its imports are real)."""
    return subprocess.run(
        [*COMMAND, *args],
        env=environment(data_dir, **settings),
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run(data_dir: Path, *args: str, input: str | None = None, **settings: str) -> Result:
    """The same CLI in this process (quicker): for commands whose process matters less."""
    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("PAPERBOARD_")}
    env.update(environment(data_dir, **settings))
    return CliRunner().invoke(app, list(args), input=input, env=env)


def clean_exit(result: Result) -> None:
    """Exited through the CLI's own error handling, not an exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def stats(data_dir: Path, **settings: str) -> dict[str, object]:
    """``paperboard stats --json``: what is stored."""
    result = run(data_dir, "stats", "--json", **settings)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
