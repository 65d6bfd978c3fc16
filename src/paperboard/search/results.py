"""What a search or a similar-papers look-up returns: a paper with its ranks and highlights."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperboard.domain.paper import PaperRecord
from paperboard.search.highlight import Highlight
from paperboard.storage.listing import ListedPaper

# The most results one page of search or similar papers returns.
MAX_LIMIT = 120


@dataclass
class SearchHit:
    # The paper with its counters (and, for searches, its board entry): what pages and the
    # API show, read once by the search, never again by the caller.
    listed: ListedPaper
    score: float  # fused score (relevance order); cosine similarity for similar papers
    keyword_rank: int | None = None  # 1-based, None when that engine did not find it
    semantic_rank: int | None = None
    semantic_similarity: float | None = None
    exact_id: bool = False  # the query named this paper's arXiv id
    highlight: Highlight = field(default_factory=Highlight)

    @property
    def paper(self) -> PaperRecord:
        return self.listed.paper

    @property
    def paper_id(self) -> int:
        return self.listed.paper_id
