"""papers.local_comments: the visible comments of a paper's thread here, apart from the total.

``num_comments`` adds the count imported with a Hugging Face board to the local comments; a
page showing it over the thread said "1 comment" above "No comments yet" (issue 18).

Revision ID: 0009_local_comments
Revises: 0008_embedding_claims
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_local_comments"
down_revision = "0008_embedding_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(
            sa.Column("local_comments", sa.Integer, nullable=False, server_default="0")
        )
    # Only papers with comments can count any: the others keep the default.
    op.execute(
        """UPDATE papers SET local_comments = (
               SELECT COUNT(*) FROM comments WHERE comments.paper_id = papers.id
               AND comments.deleted_at IS NULL AND comments.hidden_at IS NULL)
           WHERE id IN (SELECT paper_id FROM comments)"""
    )


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("local_comments")
