"""API tokens may expire: ``api_tokens.expires_at`` (NULL: never).

Revision ID: 0007_api_token_expiry
Revises: 0006_jobs
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import UTCDateTime

revision = "0007_api_token_expiry"
down_revision = "0006_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: a plain ALTER TABLE ... ADD COLUMN on SQLite and
    # PostgreSQL alike, no table rewrite; existing tokens keep never expiring.
    op.add_column("api_tokens", sa.Column("expires_at", UTCDateTime))


def downgrade() -> None:
    # Batch mode: SQLite before 3.35 cannot drop a column in place.
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
