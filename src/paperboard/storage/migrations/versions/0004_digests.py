"""Email digests: subscribers and the digest outbox.

Revision ID: 0004_digests
Revises: 0003_embeddings
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import JSONList, UTCDateTime

revision = "0004_digests"
down_revision = "0003_embeddings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("categories", JSONList, nullable=False),
        sa.Column("keywords", JSONList, nullable=False),
        sa.Column("interest", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("confirmation_sent_at", UTCDateTime),
        sa.Column("confirmed_at", UTCDateTime),
        sa.Column("unsubscribed_at", UTCDateTime),
        sa.Column("bounced_at", UTCDateTime),
        sa.Column("bounce_reason", sa.Text),
        sa.UniqueConstraint("email", name="uq_subscribers_email"),
    )
    op.create_index("ix_subscribers_status_frequency", "subscribers", ["status", "frequency"])
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscriber_id", "frequency", "period", name="uq_digest_outbox_period"),
    )
    op.create_index("ix_digest_outbox_due", "digest_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_digest_outbox_period", "digest_outbox", ["frequency", "period", "state"])


def downgrade() -> None:
    op.drop_table("digest_outbox")
    op.drop_table("subscribers")
