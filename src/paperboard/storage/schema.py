"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Keep this file and the migrations in step: ``tests/test_storage.py`` compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from paperboard.storage.types import JSONList, UTCDateTime

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    # An integer key keeps the keyword and vector indexes compact (FTS rowid, vector labels).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("arxiv_id", String(64), nullable=False, unique=True),
    Column("version", Integer, nullable=False, default=1),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("authors", JSONList, nullable=False),
    # Space-separated, primary category first (arXiv's own convention).
    Column("categories", Text, nullable=False, default=""),
    Column("primary_category", String(64)),
    Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("announced_on", Date),
    Column("comments", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("license", Text),
    Column("report_no", Text),
    Column("submitter", Text),
    Column("code_urls", JSONList, nullable=False),
    Column("project_page", Text),
    Column("ai_summary", Text),
    Column("ai_keywords", JSONList, nullable=False),
    Column("github_stars", Integer),
    Column("content_hash", String(32), nullable=False),
    # Counters kept by the storage layer (refresh_counters) so boards sort without joins:
    # upvotes imported from Hugging Face plus local votes; comments likewise.
    Column("upvotes", Integer, nullable=False, server_default="0"),
    Column("num_comments", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Index("ix_papers_published_at", "published_at"),
    Index("ix_papers_created_at", "created_at"),
    Index("ix_papers_modified_at", "modified_at", "id"),
    Index("ix_papers_announced_on", "announced_on"),
    Index("ix_papers_primary_category", "primary_category"),
)

featured = Table(
    "featured",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("featured_by", String(128)),
    Column("featured_by_fullname", String(256)),
    Column("featured_at", UTCDateTime, nullable=False),
    Column("source", String(32), nullable=False),
    # Upvotes and comments counted by the source we imported from (Hugging Face); local votes
    # and comments are added on top of these by later tables.
    Column("imported_upvotes", Integer, nullable=False, default=0),
    Column("imported_comments", Integer, nullable=False, default=0),
    UniqueConstraint("day", "paper_id", name="uq_featured_day_paper"),
    Index("ix_featured_paper_id", "paper_id"),
    Index("ix_featured_featured_at", "featured_at"),
)

ingest_state = Table(
    "ingest_state",
    metadata,
    # Checkpoints of live sources (an OAI-PMH resumption token, the last harvested day).
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
