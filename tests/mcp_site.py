"""A community site for the MCP tests: the search corpus (keyword and hashing-embedder search),
two papers on yesterday's board, a comment with a reply, and an account with an API token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paperboard.community.accounts import Client
from paperboard.community.ratelimit import Limits
from paperboard.jobs.embed import backfill
from paperboard.search.service import open_search_service
from paperboard.search.vectors import open_vector_index
from paperboard.storage.database import Database
from tests.community_site import Site, build_site, featured
from tests.search_corpus import EMBEDDER, keyword_index_for, load_corpus

BOARD_DAY = datetime.now(UTC).date() - timedelta(days=1)
# The board, most upvoted first, with the upvotes Hugging Face reported.
ON_BOARD = {"2401.00003": 90, "2401.00001": 40}
COMMENTED = "2401.00001"


@dataclass
class McpSite:
    site: Site
    token: str  # an API token of the account "ada"


def build_mcp_site(data_dir: Path, limits: Limits | None = None) -> McpSite:
    db = Database(f"sqlite:///{data_dir}/paperboard.db")
    index = keyword_index_for(db, data_dir)
    load_corpus(db, index)
    vectors = open_vector_index(db, data_dir, EMBEDDER.name, EMBEDDER.dim)
    backfill(db, EMBEDDER, vector_index=vectors)
    search = open_search_service(db, index, data_dir, embedder=EMBEDDER)
    site = build_site(db, data_dir, keyword_index=index, search=search, limits=limits)
    site.add(*(featured(arxiv_id, BOARD_DAY, upvotes) for arxiv_id, upvotes in ON_BOARD.items()))
    ada = site.user("ada")
    grace = site.user("grace")
    comments = site.community.comments
    first = comments.post(ada, COMMENTED, "Does it keep the **distribution**?", client=Client("1"))
    comments.post(grace, COMMENTED, "Yes, exactly.", parent_id=first.id, client=Client("2"))
    _info, token = site.community.tokens.create_for("ada", "mcp tests")
    return McpSite(site, token)
