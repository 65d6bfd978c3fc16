"""What ``/metrics`` reads from the database at scrape time (web/metrics.py): a few counts and
timestamps, each answered from an index or a small table so a scrape stays cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from paperboard.storage import jobs, outbox, subscriptions
from paperboard.storage import papers as paper_store
from paperboard.storage.schema import embeddings, featured, ingest_state, papers


@dataclass(frozen=True, slots=True)
class DatabaseGauges:
    papers: int
    papers_without_vector: int
    outbox: dict[str, int]  # every state in outbox.STATES, 0 where none
    subscribers: dict[str, int]  # every status in subscriptions.STATUSES, 0 where none
    last_paper_change: datetime | None
    last_featured: datetime | None
    state_updated: dict[str, datetime]  # ingest_state key -> when it was last written
    # Scheduled jobs (sync-arxiv, embed, digests, ...): when each last finished, and whether
    # that run succeeded (None: never finished).
    jobs: dict[str, tuple[datetime | None, bool | None]]


def vector_count(connection: Connection) -> int:
    """Papers with an embedding (of any model): the embeddings' key is the paper id (one
    vector per paper, deleted with it), so papers minus this is the papers without one."""
    return connection.execute(select(func.count()).select_from(embeddings)).scalar_one()


def read_gauges(connection: Connection) -> DatabaseGauges:
    outbox_counts = outbox.counts(connection)
    subscriber_counts = subscriptions.count_by_status(connection)
    paper_count = paper_store.count(connection)
    return DatabaseGauges(
        papers=paper_count,
        # A difference of two counts, not the join embeddings.count_pending makes (a scan of
        # every paper): a vector of an old model or of a paper's older text counts as present.
        papers_without_vector=max(paper_count - vector_count(connection), 0),
        outbox={state: outbox_counts.get(state, 0) for state in outbox.STATES},
        subscribers={s: subscriber_counts.get(s, 0) for s in subscriptions.STATUSES},
        # Both read the tail of an index (ix_papers_modified_at, ix_featured_featured_at).
        last_paper_change=connection.execute(select(func.max(papers.c.modified_at))).scalar(),
        last_featured=connection.execute(select(func.max(featured.c.featured_at))).scalar(),
        state_updated=dict(
            connection.execute(select(ingest_state.c.key, ingest_state.c.updated_at)).all()
        ),
        jobs={job.name: (job.last_finished, job.last_ok) for job in jobs.list_jobs(connection)},
    )
