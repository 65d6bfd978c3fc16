"""Claims on papers being embedded: batches leased by any number of embedding processes.

Revision ID: 0008_embedding_claims
Revises: 0007_api_token_expiry
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import UTCDateTime

revision = "0008_embedding_claims"
down_revision = "0007_api_token_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedding_claims",
        sa.Column(
            "paper_id",
            sa.Integer,
            sa.ForeignKey("papers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("embedding_claims")
