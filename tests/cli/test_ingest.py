"""``paperboard ingest``, ``feature``, ``export`` and ``import`` (cli/ingest.py), driven as a
user would: real processes, a real data dir, a local server."""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from paperboard.cli import support
from paperboard.ingest.loader import LoadReport
from tests.command_line import (
    COMMAND,
    HF_DAY,
    SAMPLE,
    SNAPSHOT,
    clean_exit,
    environment,
    no_traceback,
    pb,
    run,
    stats,
)
from tests.httpserver import LocalServer, Reply

# --- ingest --------------------------------------------------------------------------------


def test_ingest_snapshot_then_stats_and_reingest(tmp_path: Path, fixtures_dir: Path) -> None:
    data = tmp_path / "data"
    snapshot = str(fixtures_dir / SNAPSHOT)
    first = pb(data, "ingest", snapshot)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("200 new, 0 changed, 0 unchanged papers")
    assert "0 skipped" in first.stdout
    # Done within one batch: no progress line, the summary says it all (progress lines while
    # work is under way: test_progress_lines_are_for_work_under_way).
    assert "records" not in first.stderr
    result = stats(data)
    assert result["papers"] == 200
    assert result["featured"] == 0
    assert result["database"] == "sqlite"
    assert result["keyword_indexed"] == 200
    assert (data / "paperboard.db").is_file()

    again = pb(data, "ingest", snapshot)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 new, 0 changed, 200 unchanged papers")

    as_json = pb(data, "ingest", "--json", snapshot)
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert {k: v for k, v in report.items() if k != "seconds"} == {
        "new": 0,
        "changed": 0,
        "unchanged": 200,
        "featured_new": 0,
        "featured_changed": 0,
        "featured_unchanged": 0,
        "skipped": 0,
    }
    assert isinstance(report["seconds"], float | int)
    assert stats(data)["papers"] == 200


def test_ingest_reports_malformed_lines(tmp_path: Path, fixtures_dir: Path) -> None:
    lines = (fixtures_dir / SNAPSHOT).read_text(encoding="utf-8").splitlines()
    broken = [
        *lines[:5],
        '{"id": "0704.9999", "title": broken',  # line 6: not JSON
        *lines[5:10],
        json.dumps({"title": "No id", "abstract": "x", "authors": "A", "categories": "cs.LG"}),
        *lines[10:20],  # line 12 above has no id
    ]
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    result = pb(data, "ingest", str(path))
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert "skipped line 6:" in result.stderr
    assert "skipped line 12:" in result.stderr
    assert "20 new" in result.stdout
    assert "2 skipped" in result.stdout
    assert stats(data)["papers"] == 20


def test_ingest_json_report_with_skips(tmp_path: Path, fixtures_dir: Path) -> None:
    good = (fixtures_dir / SNAPSHOT).read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "one-bad.jsonl"
    path.write_text(f'{good}\n{{"id": "2411.01234"}}\n', encoding="utf-8")
    result = pb(tmp_path / "data", "ingest", "--json", str(path))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["new"], report["skipped"]) == (1, 1)
    assert "skipped line 2:" in result.stderr


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("nosuchsource", "unknown SOURCE"),
        ("missing/papers.jsonl.gz", "no such file"),
        ("arxiv:cs.LG@2026-11-31", "not a date"),
        ("hf-daily:2026-11-22..2026-11-20", "ends before it starts"),
    ],
)
def test_ingest_bad_source(tmp_path: Path, source: str, message: str) -> None:
    result = run(tmp_path / "data", "ingest", source)
    assert result.exit_code == 2
    clean_exit(result)
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stdout == ""


def test_ingest_unknown_source_as_a_program(tmp_path: Path) -> None:
    result = pb(tmp_path / "data", "ingest", "nosuchsource")
    assert result.returncode == 2
    no_traceback(result)
    assert result.stderr.startswith("error: unknown SOURCE 'nosuchsource'")


def test_ingest_live_source_error_fails_cleanly(tmp_path: Path, local_server: LocalServer) -> None:
    local_server.route("/rss/cs.LG", Reply(404, b"no such listing", "text/plain"))
    result = run(
        tmp_path / "data", "ingest", "arxiv-rss:cs.LG", arxiv_rss_url=local_server.url("/rss")
    )
    assert result.exit_code == 2
    clean_exit(result)
    assert result.stderr.startswith("error: arxiv-rss:cs.LG: ")
    assert "404" in result.stderr


def test_ingest_a_directory_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run(tmp_path / "data", "ingest", str(folder))
    assert result.exit_code == 2
    clean_exit(result)


def test_ingest_hf_daily_file_creates_featured_entries(tmp_path: Path, fixtures_dir: Path) -> None:
    data = tmp_path / "data"
    result = pb(data, "ingest", str(fixtures_dir / HF_DAY))
    assert result.returncode == 0, result.stderr
    assert "21 new, 0 changed" in result.stdout
    assert "21 new / 0 changed featured entries" in result.stdout
    # Issue 18: a finished 20-paper file printed "40 records, 2/s, ETA 1,279s" next to its
    # summary. A progress line is for work still under way.
    assert "ETA" not in result.stderr and "records," not in result.stderr, result.stderr
    counts = stats(data)
    assert (counts["papers"], counts["featured"], counts["featured_days"]) == (21, 21, 1)


def test_progress_lines_are_for_work_under_way(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a terminal the progress is a log line every few seconds, with an ETA while
    records remain, and none once the load is done (its summary follows)."""
    clock = [1000.0]
    monkeypatch.setattr(support.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(support.sys.stderr, "isatty", lambda: False)
    progress = support.ProgressDisplay(total=3000)
    report = LoadReport()
    caplog.set_level(logging.INFO, logger="paperboard")
    progress(40, report)  # the first batch, at once: too soon for a line
    clock[0] += 10
    progress(2000, report)
    clock[0] += 10
    progress(2500, report)
    report.done = True
    clock[0] += 10
    progress(2600, report)  # every record read: the estimate of 3,000 was high
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ingest:")]
    assert lines == [
        "ingest: 2,000 records, 200/s, ETA 5s",
        "ingest: 2,500 records, 125/s, ETA 4s",
    ]


def test_ingest_hf_daily_live_from_local_server(
    tmp_path: Path, fixtures_dir: Path, local_server: LocalServer
) -> None:
    body = (fixtures_dir / HF_DAY).read_bytes()
    local_server.route("/api/daily_papers", Reply(200, body, "application/json"))
    data = tmp_path / "data"
    result = run(data, "ingest", "hf-daily:2024-06-13", hf_api_url=local_server.url("/api"))
    assert result.exit_code == 0, result.output
    assert "21 new / 0 changed featured entries" in result.stdout
    assert local_server.requests[0].query["date"] == "2024-06-13"
    assert stats(data)["featured"] == 21


# --- feature -------------------------------------------------------------------------------


def cassette(fixtures_dir: Path, prefix: str) -> Reply:
    (path,) = (fixtures_dir / "arxiv_api" / "arxiv.py_raw").glob(f"{prefix}_*.json")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    return Reply(
        recorded["status_code"], recorded["body"].encode("latin-1"), "application/atom+xml"
    )


def test_feature_stored_paper(tmp_path: Path, fixtures_dir: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(fixtures_dir / HF_DAY)).exit_code == 0  # featured 2024-06-13
    stored = [
        json.loads(line)
        for line in run(data, "export", "-").stdout.splitlines()
        if '"arxiv_id"' in line
    ]
    first, second = sorted({row["arxiv_id"] for row in stored})[:2]
    result = pb(data, "feature", "--date", "2026-11-20", first, f"arXiv:{second}v1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "featured on 2026-11-20: 2 new, 0 already there"
    again = run(data, "feature", "--date", "2026-11-20", f"https://arxiv.org/abs/{first}")
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "featured on 2026-11-20: 0 new, 1 already there"
    counts = stats(data)
    assert (counts["papers"], counts["featured"], counts["featured_days"]) == (21, 23, 2)


def test_feature_fetches_an_unknown_paper(
    tmp_path: Path, fixtures_dir: Path, local_server: LocalServer
) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_1707.08567"))
    data = tmp_path / "data"
    result = pb(
        data,
        "feature",
        "--date",
        "2026-11-20",
        "--by",
        "curator",
        "1707.08567",
        arxiv_api_url=local_server.url("/api/query"),
    )
    assert result.returncode == 0, result.stderr
    assert "featured on 2026-11-20: 1 new" in result.stdout
    (request,) = local_server.requests
    assert request.query["id_list"] == "1707.08567"
    assert "paperboard/" in request.headers.get("User-Agent", "")
    counts = stats(data)
    assert (counts["papers"], counts["featured"], counts["keyword_indexed"]) == (1, 1, 1)


def test_feature_unknown_to_arxiv(
    tmp_path: Path, fixtures_dir: Path, local_server: LocalServer
) -> None:
    local_server.route("/api/query", cassette(fixtures_dir, "id_0000.0000"))  # an empty feed
    data = tmp_path / "data"
    result = run(
        data,
        "feature",
        "--date",
        "2026-11-20",
        "2411.99999",
        arxiv_api_url=local_server.url("/api/query"),
    )
    assert result.exit_code == 2
    clean_exit(result)
    assert result.stderr.strip() == "error: not found on arXiv: 2411.99999"
    counts = stats(data)
    assert (counts["papers"], counts["featured"]) == (0, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01", "2411.01234"], "is not YYYY-MM-DD"),
        (["--date", "2026-11-20", "notanid"], "not an arXiv id"),
    ],
)
def test_feature_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(tmp_path / "data", "feature", *args)
    assert result.exit_code == 2
    clean_exit(result)
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


# --- export / import ----------------------------------------------------------


def test_export_then_import_into_a_fresh_data_dir(tmp_path: Path, fixtures_dir: Path) -> None:
    source = tmp_path / "source"
    assert pb(source, "ingest", str(fixtures_dir / SNAPSHOT)).returncode == 0
    assert run(source, "ingest", str(fixtures_dir / HF_DAY)).exit_code == 0
    assert run(source, "feature", "--date", "2026-11-20", "0704.0001").exit_code == 0
    backup = tmp_path / "backup.jsonl.gz"
    exported = pb(source, "export", str(backup))
    assert exported.returncode == 0, exported.stderr
    assert "exported 221 papers, 22 featured entries" in exported.stderr
    assert not list(tmp_path.glob("*.partial"))
    with gzip.open(backup, "rt", encoding="utf-8") as stream:
        assert sum(1 for line in stream if line.strip()) >= 221

    target = tmp_path / "target"
    imported = pb(target, "import", str(backup))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("221 new, 0 changed")
    assert "22 new / 0 changed featured entries" in imported.stdout
    before, after = stats(source), stats(target)
    assert after == before
    assert after["keyword_indexed"] == 221

    again = run(target, "import", str(backup))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("0 new, 0 changed, 221 unchanged papers; 0 new / 0 changed")


def test_export_to_stdout(tmp_path: Path, fixtures_dir: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "ingest", str(fixtures_dir / HF_DAY)).exit_code == 0
    result = run(data, "export", "-")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(rows) >= 21 + 21
    assert "exported 21 papers, 21 featured entries" in result.stderr


def test_import_missing_file(tmp_path: Path) -> None:
    result = run(tmp_path / "data", "import", str(tmp_path / "nope.jsonl.gz"))
    assert result.exit_code == 2
    clean_exit(result)


# --- an interrupted ingest -----------------------------------------------------------------

INTERRUPTED_LINES = 10_000
INTERRUPTED_BATCH = 500


def _count_papers(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        uri = f"file:{database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0.05)) as connection:
            return connection.execute("SELECT count(*) FROM papers").fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return 0


def test_kill_9_during_ingest_then_rerun_completes(tmp_path: Path) -> None:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} not found")
    snapshot = tmp_path / "part.jsonl.gz"
    with gzip.open(SAMPLE, "rb") as source, gzip.open(snapshot, "wb", compresslevel=1) as out:
        lines = list(itertools.islice(source, INTERRUPTED_LINES))
        out.writelines(lines)
    distinct = len({json.loads(line)["id"] for line in lines})
    data = tmp_path / "data"
    database = data / "paperboard.db"
    process = subprocess.Popen(
        [*COMMAND, "ingest", "--batch-size", str(INTERRUPTED_BATCH), str(snapshot)],
        env=environment(data),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the parser child dies with it
    )
    try:
        deadline = time.monotonic() + 60
        while _count_papers(database) == 0 and process.poll() is None:
            assert time.monotonic() < deadline, "ingest stored nothing within 60 s"
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, "ingest finished before it could be killed"

    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = connection.execute("SELECT count(*) FROM papers").fetchone()[0]
        incomplete = connection.execute(
            "SELECT count(*) FROM papers WHERE title = '' OR abstract = '' OR authors = '[]'"
            " OR content_hash = ''"
        ).fetchone()[0]
    assert 0 < stored < distinct
    assert incomplete == 0
    if distinct == INTERRUPTED_LINES:  # every batch holds 500 new papers: whole batches only
        assert stored % INTERRUPTED_BATCH == 0

    rerun = pb(data, "ingest", "--json", "--batch-size", "5000", str(snapshot), timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["new"] == distinct - stored
    assert report["skipped"] == 0
    counts = stats(data)
    assert counts["papers"] == distinct
    assert counts["keyword_indexed"] == distinct  # the index caught up with the killed run
