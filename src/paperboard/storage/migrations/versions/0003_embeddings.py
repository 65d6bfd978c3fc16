"""Paper embeddings for semantic search; pgvector's HNSW index on PostgreSQL.

Revision ID: 0003_embeddings
Revises: 0002_counters
"""

import sqlalchemy as sa
from alembic import op

from paperboard.storage.types import HalfVector, UTCDateTime

revision = "0003_embeddings"
down_revision = "0002_counters"
branch_labels = None
depends_on = None

DIM = 384
PGVECTOR_MISSING = (
    "PostgreSQL has no pgvector extension, which paperboard needs for semantic search. "
    "Install it on the database server (e.g. the postgresql-NN-pgvector package, or pick a "
    "managed PostgreSQL that offers pgvector) and run `paperboard db upgrade` again; if the "
    "extension is installed but this role may not create it, ask an administrator to run "
    "`CREATE EXTENSION vector;` in this database."
)
# m=16, ef_construction=64 are pgvector's defaults: ~0.6-1.6 ms per query at 100k papers
# measured here (DESIGN.md §4); cosine distance because the vectors are unit length.
POSTGRES_HNSW = (
    "CREATE INDEX ix_embeddings_vector_hnsw ON embeddings "
    "USING hnsw (vector halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)"
)


def _require_pgvector() -> None:
    bind = op.get_bind()
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
    ).first()
    if available is None:
        raise RuntimeError(PGVECTOR_MISSING)
    installed = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'vector'").first()
    if installed is None:
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        except sa.exc.DBAPIError as exc:
            raise RuntimeError(f"{PGVECTOR_MISSING} ({exc.orig})") from None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _require_pgvector()
    op.create_table(
        "embeddings",
        sa.Column(
            "paper_id",
            sa.Integer,
            sa.ForeignKey("papers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("vector", HalfVector(DIM), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_embeddings_created_at", "embeddings", ["created_at", "paper_id"])
    if postgres:
        op.execute(POSTGRES_HNSW)


def downgrade() -> None:
    op.drop_table("embeddings")
