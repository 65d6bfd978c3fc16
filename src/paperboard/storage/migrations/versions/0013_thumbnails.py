"""Papers' thumbnails: the image URL a Hugging Face board gives (``thumbnail``), kept for the API.

Revision ID: 0013_thumbnails
Revises: 0012_email_verified
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_thumbnails"
down_revision = "0012_email_verified"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("papers", sa.Column("thumbnail_url", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("thumbnail_url")
