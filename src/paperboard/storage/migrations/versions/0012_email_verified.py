"""Verified account addresses: ``users.email_verified_at``, set when the owner follows the link
mailed to the address. Every existing account starts unverified (NULL): none was ever checked.

Revision ID: 0012_email_verified
Revises: 0011_library
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import UTCDateTime

revision = "0012_email_verified"
down_revision = "0011_library"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: a plain ALTER TABLE ... ADD COLUMN on SQLite and
    # PostgreSQL alike, no table rewrite; existing accounts are unverified.
    op.add_column("users", sa.Column("email_verified_at", UTCDateTime))


def downgrade() -> None:
    # Batch mode: SQLite before 3.35 cannot drop a column in place.
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_verified_at")
