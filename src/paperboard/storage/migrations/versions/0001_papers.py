"""Papers, featured entries, ingest checkpoints; PostgreSQL's keyword index.

Revision ID: 0001_papers
Revises:
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import JSONList, UTCDateTime

revision = "0001_papers"
down_revision = None
branch_labels = None
depends_on = None

# On SQLite the keyword index is a tantivy index next to the database file (search/keyword.py):
# FTS5 indexed the sample at ~3,000-4,300 papers/s here, below the 5,000/s ingest goal, and
# answers long OR-queries in ~50 ms (DESIGN.md §4). On PostgreSQL it is this generated column.
POSTGRES_FTS = [
    # Field weights: title A > authors B > abstract C (ts_rank honours them).
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(authors, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("arxiv_id", sa.String(64), nullable=False, unique=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", JSONList, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("primary_category", sa.String(64)),
        sa.Column("published_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime),
        sa.Column("announced_on", sa.Date),
        sa.Column("comments", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("license", sa.Text),
        sa.Column("report_no", sa.Text),
        sa.Column("submitter", sa.Text),
        sa.Column("code_urls", JSONList, nullable=False),
        sa.Column("project_page", sa.Text),
        sa.Column("ai_summary", sa.Text),
        sa.Column("ai_keywords", JSONList, nullable=False),
        sa.Column("github_stars", sa.Integer),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("modified_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_papers_published_at", "papers", ["published_at"])
    op.create_index("ix_papers_created_at", "papers", ["created_at"])
    op.create_index("ix_papers_modified_at", "papers", ["modified_at", "id"])
    op.create_index("ix_papers_announced_on", "papers", ["announced_on"])
    op.create_index("ix_papers_primary_category", "papers", ["primary_category"])
    op.create_table(
        "featured",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("featured_by", sa.String(128)),
        sa.Column("featured_by_fullname", sa.String(256)),
        sa.Column("featured_at", UTCDateTime, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("imported_upvotes", sa.Integer, nullable=False),
        sa.Column("imported_comments", sa.Integer, nullable=False),
        sa.UniqueConstraint("day", "paper_id", name="uq_featured_day_paper"),
    )
    op.create_index("ix_featured_paper_id", "featured", ["paper_id"])
    op.create_table(
        "ingest_state",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_FTS:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("ingest_state")
    op.drop_table("featured")
    op.drop_table("papers")
