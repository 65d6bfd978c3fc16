"""Scheduled jobs shared by every worker process (leases, next due time, last outcome).

Revision ID: 0006_jobs
Revises: 0005_community
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import UTCDateTime

revision = "0006_jobs"
down_revision = "0005_community"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("next_due", UTCDateTime, nullable=False),
        sa.Column("last_started", UTCDateTime),
        sa.Column("last_finished", UTCDateTime),
        sa.Column("last_ok", sa.Boolean),
        sa.Column("last_error", sa.Text),
        sa.Column("runs", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("jobs")
