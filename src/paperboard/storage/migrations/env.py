"""Alembic environment: runs migrations on the connection paperboard hands over."""

from __future__ import annotations

from alembic import context

from paperboard.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    transaction_per_migration=True,
)
# Each migration runs in its own transaction (transaction_per_migration), so a failure
# leaves the database at the last completed revision.
with context.begin_transaction():
    context.run_migrations()
