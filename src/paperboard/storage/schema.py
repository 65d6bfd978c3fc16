"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Keep this file and the migrations in step: ``tests/storage/test_store.py`` compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from paperboard.storage.types import HalfVector, JSONList, UTCDateTime

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    # An integer key keeps the keyword and vector indexes compact (FTS rowid, vector labels).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("arxiv_id", String(64), nullable=False, unique=True),
    Column("version", Integer, nullable=False, default=1),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("authors", JSONList, nullable=False),
    # Space-separated, primary category first (arXiv's own convention).
    Column("categories", Text, nullable=False, default=""),
    Column("primary_category", String(64)),
    Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("announced_on", Date),
    Column("comments", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("license", Text),
    Column("report_no", Text),
    Column("submitter", Text),
    Column("code_urls", JSONList, nullable=False),
    Column("project_page", Text),
    Column("ai_summary", Text),
    Column("ai_keywords", JSONList, nullable=False),
    Column("github_stars", Integer),
    Column("thumbnail_url", Text),  # migration 0011
    Column("content_hash", String(32), nullable=False),
    # Counters kept by the storage layer (refresh_counters) so boards sort without joins:
    # upvotes imported from Hugging Face plus local votes; comments likewise (the API's
    # numComments), and the local comments alone: the thread a paper page shows.
    Column("upvotes", Integer, nullable=False, server_default="0"),
    Column("num_comments", Integer, nullable=False, server_default="0"),
    Column("local_comments", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Index("ix_papers_published_at", "published_at"),
    Index("ix_papers_created_at", "created_at"),
    Index("ix_papers_modified_at", "modified_at", "id"),
    Index("ix_papers_announced_on", "announced_on"),
    Index("ix_papers_primary_category", "primary_category"),
)

featured = Table(
    "featured",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("featured_by", String(128)),
    Column("featured_by_fullname", String(256)),
    Column("featured_at", UTCDateTime, nullable=False),
    Column("source", String(32), nullable=False),
    # Upvotes and comments counted by the source we imported from (Hugging Face); local votes
    # and comments are added on top of these by later tables.
    Column("imported_upvotes", Integer, nullable=False, default=0),
    Column("imported_comments", Integer, nullable=False, default=0),
    UniqueConstraint("day", "paper_id", name="uq_featured_day_paper"),
    Index("ix_featured_paper_id", "paper_id"),
    Index("ix_featured_featured_at", "featured_at"),
)

ingest_state = Table(
    "ingest_state",
    metadata,
    # Checkpoints of live sources (an OAI-PMH resumption token, the last harvested day).
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The vector dimension of the stored embeddings (all-MiniLM-L6-v2 class models). PostgreSQL's
# HNSW index needs a fixed dimension; a model of another size needs a migration there.
EMBEDDING_DIM = 384

embeddings = Table(
    "embeddings",
    metadata,
    # One vector per paper (its latest version), of one model at a time: a new model's vectors
    # replace the old ones paper by paper, and search compares only vectors of its own model.
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(128), nullable=False),
    Column("dim", Integer, nullable=False),
    # papers.content_hash when embedded: a paper whose text changed is embedded again.
    Column("content_hash", String(32), nullable=False),
    Column("vector", HalfVector(EMBEDDING_DIM), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The SQLite vector index file catches up by (created_at, paper_id), like the keyword index.
    Index("ix_embeddings_created_at", "created_at", "paper_id"),
)
# On PostgreSQL the migration also creates the HNSW index ix_embeddings_vector_hnsw (pgvector,
# cosine: the vectors are unit length); like the keyword index's generated column it exists only
# there. SQLite keeps its HNSW index in a file next to the database (search/vectors.py).

embedding_claims = Table(
    "embedding_claims",
    metadata,
    # A paper being embedded right now (storage/embedding_claims.py): claimed in batches by
    # any number of embedding processes, deleted with the vector's commit. A process killed
    # mid-batch leaves its rows behind; another takes them over once lease_until has passed.
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("holder", String(200), nullable=False),  # "machine:pid:random" (jobs/holders.py)
    Column("lease_until", UTCDateTime, nullable=False),
)

# --- email digests (mail/, storage/subscriptions.py, storage/outbox.py) ---------------------------

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Lower-cased (domain/addresses.py), so one mailbox is one row however it was typed.
    Column("email", String(254), nullable=False),
    Column("frequency", String(16), nullable=False),  # daily | weekly
    Column("categories", JSONList, nullable=False),
    Column("keywords", JSONList, nullable=False),
    Column("interest", Text),  # plain language, for semantic matching (mail/digest.py)
    # pending (not confirmed: never mailed a digest) | confirmed | unsubscribed | bounced
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # When the last confirmation (or "already subscribed") mail went out: resends are throttled.
    Column("confirmation_sent_at", UTCDateTime),
    Column("confirmed_at", UTCDateTime),
    Column("unsubscribed_at", UTCDateTime),
    Column("bounced_at", UTCDateTime),
    Column("bounce_reason", Text),
    UniqueConstraint("email", name="uq_subscribers_email"),
    Index("ix_subscribers_status_frequency", "status", "frequency"),
)

digest_outbox = Table(
    "digest_outbox",
    metadata,
    # One row per (subscriber, period), created before anything is sent: the unique constraint
    # makes enqueueing idempotent, the state and lease make sending exactly-once in practice.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("frequency", String(16), nullable=False),
    Column("period", String(16), nullable=False),  # 2026-11-20 | 2026-W47
    # pending | sending | sent | skipped | failed | uncertain (storage/outbox.py)
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    UniqueConstraint("subscriber_id", "frequency", "period", name="uq_digest_outbox_period"),
    Index("ix_digest_outbox_due", "state", "next_attempt_at"),
    Index("ix_digest_outbox_period", "frequency", "period", "state"),
)

# --- community: accounts, votes, comments (community/, storage/users.py, votes.py, ...) ----------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(40), nullable=False),  # as typed at sign-up, shown
    # Lower-cased: "Alice" and "alice" are one account, and look-ups use an index.
    Column("username_key", String(40), nullable=False),
    Column("email", String(254), nullable=False),  # lower-cased
    # When its owner followed the mailed link for this address; None: not verified (a new
    # or changed address, and every account made before migration 0011).
    Column("email_verified_at", UTCDateTime),
    Column("display_name", String(100)),
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string format
    Column("role", String(16), nullable=False),  # user | curator | admin
    Column("votes_public", Boolean, nullable=False),  # upvoted papers listed on the profile
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),  # a disabled account cannot sign in or act
    UniqueConstraint("username_key", name="uq_users_username_key"),
    UniqueConstraint("email", name="uq_users_email"),
)

sessions = Table(
    "sessions",
    metadata,
    # SHA-256 of the cookie's random token: a copy of the table signs no one in.
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
    Index("ix_sessions_expires_at", "expires_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False),  # SHA-256 of the token
    Column("prefix", String(16), nullable=False),  # its first characters, to tell tokens apart
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("expires_at", UTCDateTime),  # NULL: never
    UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    Index("ix_api_tokens_user_id", "user_id"),
)

votes = Table(
    "votes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # One vote per user and paper, whatever the concurrency: the database refuses a second.
    UniqueConstraint("user_id", "paper_id", name="uq_votes_user_paper"),
    Index("ix_votes_paper_id_created_at", "paper_id", "created_at"),
    # Ids are never reused (SQLite would reuse the highest after a delete): the response
    # cache's data version reads max(id) and must see every new vote.
    sqlite_autoincrement=True,
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # A reply's top-level comment (one level of replies: never a reply's id).
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE")),
    Column("body", Text, nullable=False),  # Markdown as written; rendered and sanitised on output
    Column("created_at", UTCDateTime, nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),  # any change: edit, delete, hide
    Column("edited_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),  # by its author: the text is gone, replies stay
    Column("hidden_at", UTCDateTime),  # by a curator: kept, shown to curators only
    Column("hidden_by", String(40)),
    Index("ix_comments_paper_id_created_at", "paper_id", "created_at"),
    Index("ix_comments_user_id_created_at", "user_id", "created_at"),
    Index("ix_comments_parent_id", "parent_id"),
    Index("ix_comments_modified_at", "modified_at"),
    sqlite_autoincrement=True,
)

rate_limits = Table(
    "rate_limits",
    metadata,
    # "<action>:<account|ip>:<who>:<window number>": one fixed-window counter per row, in the
    # database so that every web process counts against the same limit.
    Column("key", String(200), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_rate_limits_expires_at", "expires_at"),
)

# --- scheduled jobs (jobs/schedule.py, storage/jobs.py) ------------------------------------------

jobs = Table(
    "jobs",
    metadata,
    # One row per scheduled job (sync-arxiv, embed, digests, ...): every worker process shares
    # it, and a conditional UPDATE on it (storage/jobs.py) decides which one runs a due job.
    Column("name", String(64), primary_key=True),
    # The worker running it now ("host:pid:random"), until lease_until; a worker killed
    # mid-run leaves both behind, and another takes the job over once the lease has expired.
    Column("holder", String(200)),
    Column("lease_until", UTCDateTime),
    Column("next_due", UTCDateTime, nullable=False),
    Column("last_started", UTCDateTime),
    Column("last_finished", UTCDateTime),
    Column("last_ok", Boolean),  # null until the first run finishes
    Column("last_error", Text),
    Column("runs", Integer, nullable=False, server_default="0"),
)

# --- full texts (reading/service.py, storage/fulltext.py) -----------------------------------------

paper_full_texts = Table(
    "paper_full_texts",
    metadata,
    # A paper's text as Markdown, converted from arXiv's HTML rendering when first read, so
    # arXiv is asked once per paper version, not once per reader.
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    # "ok" (markdown holds the text) or "missing" (arXiv has no HTML rendering: asked again
    # after a while, as arXiv renders more papers).
    Column("status", String(16), nullable=False),
    Column("markdown", Text),
    # The paper's version when fetched: a newer version is fetched again.
    Column("version", Integer, nullable=False),
    Column("source_url", String(300), nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)


# --- the personal layer: collections, follows, dismissals (library/, storage/collections.py, ...) -

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # 24 hex digits, random: the tail of the slug (``owner/title-<public_id>``), which stays
    # when the title changes, like Hugging Face's ObjectIds. Integer ids would tell how many
    # collections (private ones included) exist.
    Column("public_id", String(24), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(100), nullable=False),
    # The title's slug: one owner cannot have "Reading list" and "reading-list" both.
    Column("title_key", String(100), nullable=False),
    Column("description", Text),
    Column("private", Boolean, nullable=False),
    Column("theme", String(16), nullable=False),
    Column("position", Integer, nullable=False),  # among the owner's collections, from 0
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),  # any change, its items' included
    UniqueConstraint("public_id", name="uq_collections_public_id"),
    UniqueConstraint("owner_id", "title_key", name="uq_collections_owner_title"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("public_id", String(24), nullable=False),  # Hugging Face's item ``_id``
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # from 0, no gaps
    Column("note", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("public_id", name="uq_collection_items_public_id"),
    # A paper is in a collection once; the constraint also serves look-ups by collection.
    UniqueConstraint("collection_id", "paper_id", name="uq_collection_items_paper"),
    # "Which collections hold this paper" (the API's item filter, "saved" marks on cards).
    Index("ix_collection_items_paper_id", "paper_id"),
)

follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # author | category | user | search
    # An author's name as arXiv writes it, a category (cs.CL), a username key, a query.
    Column("value", String(300), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "kind", "value", name="uq_follows_user_kind_value"),
)

dismissals = Table(
    "dismissals",
    metadata,
    # "Not interested": never recommended again, and a negative example for the user's model.
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

feed_tokens = Table(
    "feed_tokens",
    metadata,
    # One private Atom feed URL per user; a new token replaces the old one, deleting revokes.
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("token_hash", String(64), nullable=False),  # SHA-256, as for API tokens
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("token_hash", name="uq_feed_tokens_token_hash"),
)

recommendation_settings = Table(
    "recommendation_settings",
    metadata,
    # The user's weights for each signal of "for you" (domain/recommend.py), as a JSON object;
    # no row means the defaults.
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("weights", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
