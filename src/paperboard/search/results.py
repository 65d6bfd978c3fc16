"""What a search or a similar-papers look-up returns: a paper with its ranks and highlights."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperboard.domain.paper import PaperRecord
from paperboard.search.highlight import Highlight

# The most results one page of search or similar papers returns.
MAX_LIMIT = 120


@dataclass
class SearchHit:
    paper: PaperRecord
    paper_id: int
    score: float  # fused score (relevance order); cosine similarity for similar papers
    keyword_rank: int | None = None  # 1-based, None when that engine did not find it
    semantic_rank: int | None = None
    semantic_similarity: float | None = None
    exact_id: bool = False  # the query named this paper's arXiv id
    highlight: Highlight = field(default_factory=Highlight)
