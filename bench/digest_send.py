"""Digest delivery throughput: N confirmed subscribers (mixed topics) get a daily digest,
rendered and delivered over SMTP to a local aiosmtpd sink (another process).

    nice .venv/bin/python bench/digest_send.py [--subscribers 100000] [--papers 60]
                                               [--database-url postgresql://...]

The board is the first ``--papers`` real papers of the arXiv sample (synthetic ones if it is
missing), featured on one day with falling upvotes. Subscribers are 35% "all topics", 30%
1-3 categories, 20% 1-3 keywords, 15% a plain-language interest plus a category: thousands of
distinct topic sets, so the cache of rendered papers is exercised, not just hit. The run is
the real path (``DigestRun``: enqueue, claim in batches, one SMTP connection per batch,
``sending``/``sent`` committed around each message). The sink counts messages and distinct
recipients and parses a sample (both parts, the List-Unsubscribe headers). Prints JSON.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import gzip
import json
import multiprocessing as mp
import random
import resource
import socket
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperboard.domain.paper import FeaturedRecord, PaperRecord  # noqa: E402
from paperboard.domain.periods import parse_day  # noqa: E402
from paperboard.domain.smtp_url import SmtpConfig  # noqa: E402
from paperboard.domain.topics import Topics  # noqa: E402
from paperboard.ingest.loader import load  # noqa: E402
from paperboard.ingest.snapshot import parse_snapshot_line  # noqa: E402
from paperboard.mail.compose import MailConfig  # noqa: E402
from paperboard.mail.delivery import DigestRun  # noqa: E402
from paperboard.mail.smtp import SmtpSender  # noqa: E402
from paperboard.storage import subscriptions  # noqa: E402
from paperboard.storage.database import Database  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "papers.jsonl.gz"
DAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 15, 7, 0, tzinfo=UTC)
CATEGORIES = [
    "cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "cs.IR", "cs.HC", "cs.CR", "stat.ML",
    "eess.IV", "math.OC", "physics", "q-bio", "astro-ph", "cond-mat", "quant-ph",
]  # fmt: skip
KEYWORDS = [
    "diffusion", "transformer", "reinforcement learning", "language model", "graph",
    "segmentation", "benchmark", "retrieval", "agents", "robot", "quantum", "privacy",
    "federated", "contrastive", "video", "speech", "medical", "protein", "optimization",
    "attention", "3d", "multimodal", "reasoning", "alignment", "dataset", "compression",
    "sparse", "bayesian", "causal", "adversarial", "kernel", "neural network", "vision",
    "simulation", "planning", "embedding", "tokenizer", "inference", "uncertainty", "fairness",
]  # fmt: skip
INTERESTS = [
    "efficient inference for large language models",
    "robots that learn from demonstrations",
    "medical image segmentation with deep learning",
    "privacy preserving machine learning",
    "graph neural networks for molecules",
    "evaluation benchmarks for reasoning",
    "quantum error correction",
    "speech recognition in noisy conditions",
    "video generation with diffusion models",
    "causal inference from observational data",
]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the sink (its own process, so that it does not share the sender's interpreter) ------------


def _sink(port: int, ready: Any, done: Any, results: Any, sample_every: int) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.count = 0
            self.bytes = 0
            self.recipients: set[str] = set()
            self.duplicates = 0
            self.samples_ok = 0
            self.samples_bad: list[str] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.count += 1
            self.bytes += len(envelope.original_content)
            for rcpt in envelope.rcpt_tos:
                if rcpt in self.recipients:
                    self.duplicates += 1
                self.recipients.add(rcpt)
            if self.count % sample_every == 1:
                self._check(envelope.original_content)
            return "250 OK"

        def _check(self, data: bytes) -> None:
            message = email.message_from_bytes(data, policy=email.policy.default)
            text = message.get_body(("plain",))
            html = message.get_body(("html",))
            ok = (
                text is not None
                and html is not None
                and "/unsubscribe?token=" in text.get_content()
                and "<html" in html.get_content()
                and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
                and "mailto:" in (message["List-Unsubscribe"] or "")
            )
            if ok:
                self.samples_ok += 1
            else:
                self.samples_bad.append(str(message["To"]))

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    done.wait()
    controller.stop()
    results.put(
        {
            "received": sink.count,
            "distinct_recipients": len(sink.recipients),
            "duplicates": sink.duplicates,
            "megabytes": round(sink.bytes / 1e6, 1),
            "samples_ok": sink.samples_ok,
            "samples_bad": sink.samples_bad[:5],
            "sink_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "sink_cpu_s": round(_cpu_seconds(), 1),
        }
    )


# --- data ---------------------------------------------------------------------------------------


def board_papers(count: int) -> list[PaperRecord]:
    papers: list[PaperRecord] = []
    if SAMPLE.exists():
        with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
            for line in lines:
                papers.append(parse_snapshot_line(json.loads(line)))
                if len(papers) == count:
                    return papers
    rng = random.Random(1)
    while len(papers) < count:
        n = len(papers)
        words = rng.sample(KEYWORDS, 4)
        papers.append(
            PaperRecord(
                arxiv_id=f"2503.{n:05d}",
                title=f"On {words[0]} and {words[1]} for {words[2]}",
                abstract=" ".join(rng.choices(KEYWORDS, k=150)),
                authors=[f"Author {i}" for i in range(rng.randint(1, 12))],
                categories=rng.sample(CATEGORIES[:9], 2),
                published_at=datetime(2025, 3, 10, tzinfo=UTC),
            )
        )
    return papers


def topics_for(rng: random.Random) -> Topics:
    roll = rng.random()
    if roll < 0.35:
        return Topics()
    if roll < 0.65:
        return Topics(categories=tuple(sorted(rng.sample(CATEGORIES, rng.randint(1, 3)))))
    if roll < 0.85:
        return Topics(keywords=tuple(sorted(rng.sample(KEYWORDS, rng.randint(1, 3)))))
    return Topics(categories=(rng.choice(CATEGORIES),), interest=rng.choice(INTERESTS))


def prepare(db: Database, subscribers: int, papers: int) -> int:
    records = board_papers(papers)
    items: list[PaperRecord | FeaturedRecord] = list(records)
    for rank, record in enumerate(records):
        items.append(
            FeaturedRecord(
                arxiv_id=record.arxiv_id,
                day=DAY,
                featured_at=datetime(2025, 3, 14, 9, tzinfo=UTC),
                upvotes=5 * (len(records) - rank),
                source="huggingface",
            )
        )
    load(db, items)
    rng = random.Random(42)
    distinct = set()
    batch: list[tuple[str, str, Topics]] = []
    for n in range(subscribers):
        topics = topics_for(rng)
        distinct.add(topics.key)
        batch.append((f"reader{n:06d}@example.org", "daily", topics))
        if len(batch) == 10_000:
            with db.write() as connection:
                subscriptions.add_confirmed(connection, batch, NOW - timedelta(days=1))
            batch = []
    if batch:
        with db.write() as connection:
            subscriptions.add_confirmed(connection, batch, NOW - timedelta(days=1))
    return len(distinct)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=60)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--connections", type=int, default=2, help="parallel SMTP connections")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'paperboard.db'}"
    db = Database(url)
    started = time.perf_counter()
    topic_sets = prepare(db, args.subscribers, args.papers)
    prepare_s = time.perf_counter() - started

    port = free_port()
    context = mp.get_context("spawn")
    ready, done, results = context.Event(), context.Event(), context.Queue()
    sample_every = max(args.subscribers // 200, 1)
    sink = context.Process(target=_sink, args=(port, ready, done, results, sample_every))
    sink.start()
    if not ready.wait(30):
        raise SystemExit("the SMTP sink did not start")

    config = MailConfig("https://papers.example.org", "paperboard <digest@example.org>", b"k" * 32)
    sender = SmtpSender(SmtpConfig("127.0.0.1", port, "none", timeout=30))
    options: dict[str, Any] = {"clock": lambda: NOW}
    if args.batch_size:
        options["batch_size"] = args.batch_size
    run = DigestRun(db, sender, config, **options)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    enqueued = run.enqueue("daily", parse_day(DAY.isoformat()))
    enqueue_s = time.perf_counter() - started
    report = run.deliver(connections=args.connections)
    total_s = time.perf_counter() - started
    done.set()
    sink_result = results.get(timeout=60)
    sink.join(30)
    db.dispose()

    result = {
        "subscribers": args.subscribers,
        "papers_on_board": args.papers,
        "distinct_topic_sets": topic_sets,
        "database": url.split(":", 1)[0],
        "smtp_connections": args.connections,
        "prepare_s": round(prepare_s, 1),
        "enqueued": enqueued,
        "enqueue_s": round(enqueue_s, 2),
        "sent": report.sent,
        "skipped": report.skipped,
        "failures": report.failures,
        "send_s": round(total_s, 1),
        "messages_per_s": round(report.sent / max(total_s, 1e-9)),
        "sender_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "sender_cpu_s": round(_cpu_seconds() - cpu_before, 1),
        **sink_result,
    }
    print(json.dumps(result, indent=2))
    ok = (
        sink_result["received"] == report.sent
        and sink_result["distinct_recipients"] == report.sent
        and sink_result["duplicates"] == 0
        and report.sent + report.skipped == enqueued
        and not sink_result["samples_bad"]
    )
    if not ok:
        raise SystemExit("delivery check failed")


if __name__ == "__main__":
    main()
