"""Full texts of papers: arXiv's HTML rendering converted to Markdown, cached on first read.

Revision ID: 0010_fulltext
Revises: 0009_local_comments
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import UTCDateTime

revision = "0010_fulltext"
down_revision = "0009_local_comments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_full_texts",
        sa.Column(
            "paper_id",
            sa.Integer,
            sa.ForeignKey("papers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("markdown", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source_url", sa.String(300), nullable=False),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paper_full_texts")
