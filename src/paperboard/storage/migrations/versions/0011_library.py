"""The personal layer: collections and their items, follows, dismissals, feed tokens,
recommendation settings.

Revision ID: 0011_library
Revises: 0010_fulltext
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import UTCDateTime

revision = "0011_library"
down_revision = "0010_fulltext"
branch_labels = None
depends_on = None


def _user_id(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(24), nullable=False),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("title_key", sa.String(100), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("theme", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("public_id", name="uq_collections_public_id"),
        sa.UniqueConstraint("owner_id", "title_key", name="uq_collections_owner_title"),
    )
    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(24), nullable=False),
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("public_id", name="uq_collection_items_public_id"),
        sa.UniqueConstraint("collection_id", "paper_id", name="uq_collection_items_paper"),
    )
    op.create_index("ix_collection_items_paper_id", "collection_items", ["paper_id"])
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("user_id", "kind", "value", name="uq_follows_user_kind_value"),
    )
    op.create_table(
        "dismissals",
        _user_id(primary_key=True),
        sa.Column(
            "paper_id",
            sa.Integer,
            sa.ForeignKey("papers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "feed_tokens",
        _user_id(primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_feed_tokens_token_hash"),
    )
    op.create_table(
        "recommendation_settings",
        _user_id(primary_key=True),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("recommendation_settings")
    op.drop_table("feed_tokens")
    op.drop_table("dismissals")
    op.drop_table("follows")
    op.drop_table("collection_items")
    op.drop_table("collections")
