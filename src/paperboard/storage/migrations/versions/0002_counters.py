"""Paper counters for boards: upvotes and comments.

Revision ID: 0002_counters
Revises: 0001_papers
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_counters"
down_revision = "0001_papers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("upvotes", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("num_comments", sa.Integer, nullable=False, server_default="0"))
    # Fill them for boards imported before this revision.
    op.execute(
        """UPDATE papers SET
            upvotes = COALESCE((SELECT MAX(imported_upvotes) FROM featured
                                WHERE featured.paper_id = papers.id), 0),
            num_comments = COALESCE((SELECT MAX(imported_comments) FROM featured
                                     WHERE featured.paper_id = papers.id), 0)"""
    )
    op.create_index("ix_featured_featured_at", "featured", ["featured_at"])


def downgrade() -> None:
    op.drop_index("ix_featured_featured_at", "featured")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("num_comments")
        batch.drop_column("upvotes")
