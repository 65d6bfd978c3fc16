"""Snapshot ingest throughput and peak memory on the embedded default (SQLite + keyword index).

    .venv/bin/python bench/ingest.py [--snapshot PATH]

Runs ``paperboard ingest`` as a subprocess on a fresh data dir (the real path a user runs),
then again on the same data (must report 0 new / 0 changed), and on a quarter of the file to
show that peak memory does not grow with the file size. Prints a Markdown table row per run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "papers.jsonl.gz"
PAPERBOARD = [sys.executable, "-m", "paperboard.cli"]


def run_ingest(data_dir: Path, source: Path) -> dict[str, float]:
    env = os.environ | {"PAPERBOARD_DATA_DIR": str(data_dir), "PAPERBOARD_LOG_LEVEL": "warning"}
    started = time.perf_counter()
    # A fresh interpreter per run, so RUSAGE_CHILDREN's peak is this run's (and its parser's).
    code = (
        "import resource, subprocess, sys, json;"
        "rc = subprocess.call(sys.argv[1:]);"
        "print(json.dumps({'rc': rc, 'maxrss_kb': "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *PAPERBOARD, "ingest", "--json", str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    usage = json.loads(result.stderr.strip().splitlines()[-1])
    if usage["rc"] != 0:
        raise SystemExit(f"ingest failed: {result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    seen = report["new"] + report["changed"] + report["unchanged"]
    return {
        "papers": seen,
        "new": report["new"],
        "changed": report["changed"],
        "seconds": round(elapsed, 1),
        "ingest_seconds": report["seconds"],
        "papers_per_s": round(seen / report["seconds"]),
        "peak_rss_mb": round(usage["maxrss_kb"] / 1024),
    }


def stats(data_dir: Path) -> dict[str, int]:
    env = os.environ | {"PAPERBOARD_DATA_DIR": str(data_dir), "PAPERBOARD_LOG_LEVEL": "warning"}
    output = subprocess.check_output([*PAPERBOARD, "stats", "--json"], env=env, text=True)
    return json.loads(output)


def quarter_of(snapshot: Path, folder: Path) -> Path:
    with gzip.open(snapshot, "rb") as source:
        lines = sum(1 for _ in source)
    target = folder / "quarter.jsonl.gz"
    with gzip.open(snapshot, "rb") as source, gzip.open(target, "wb") as out:
        out.writelines(islice(source, lines // 4))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snapshot", type=Path, default=SAMPLE)
    args = parser.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print("| run | papers | new | changed | ingest s | papers/s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        for label in ("first ingest", "re-ingest (same data)"):
            row = run_ingest(data_dir, args.snapshot)
            print(
                f"| {label} | {row['papers']} | {row['new']} | {row['changed']} | "
                f"{row['ingest_seconds']} | {row['papers_per_s']} | {row['peak_rss_mb']} |"
            )
        print(f"\nstats: {json.dumps(stats(data_dir))}\n")
        quarter = quarter_of(args.snapshot, Path(folder))
        row = run_ingest(Path(folder) / "quarter", quarter)
        print(
            f"| first ingest, 1/4 of the file | {row['papers']} | {row['new']} | "
            f"{row['changed']} | {row['ingest_seconds']} | {row['papers_per_s']} | "
            f"{row['peak_rss_mb']} |"
        )


if __name__ == "__main__":
    main()
