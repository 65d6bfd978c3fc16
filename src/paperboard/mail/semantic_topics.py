"""The plain-language interest matched by meaning: the search embedder scores the interest
against the period's papers (a ``TopicMatcher`` for ``mail.digest``).

Categories and keywords stay exact (``KeywordTopicMatcher``); only the interest changes. A
paper matches an interest when its cosine similarity to the interest reaches
``INTEREST_MIN_SIMILARITY``. Chosen on the development set ``bench/interest_topics.jsonl``
(bench/interest_quality.py; numbers in docs/benchmarks.md): F1 0.31 against 0.13 for the
word match, whose shared words ("recognition", "inference") drag in unrelated papers;
combining both scored no better.

The model is loaded, and the period's papers embedded, on the first subscriber with an
interest: runs without interests never load or run it. When it cannot be loaded (semantic
search off, the package missing) interests fall back to the word match, with one warning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from paperboard.mail.digest import DigestPaper, PreparedKeywords, PreparedTopics
from paperboard.search.embedder import Embedder, EmbedderError, load_embedder, paper_text

log = logging.getLogger(__name__)

INTEREST_MIN_SIMILARITY = 0.40


class _PreparedSemantic(PreparedKeywords):
    def __init__(
        self,
        papers: Sequence[DigestPaper],
        matcher: SemanticTopicMatcher,
        min_similarity: float,
    ) -> None:
        super().__init__(papers)
        self._papers = papers
        self._matcher = matcher
        self._min_similarity = min_similarity
        self._vectors: np.ndarray | None = None
        self._semantic: dict[str, frozenset[int]] = {}

    def _paper_vectors(self, embedder: Embedder) -> np.ndarray:
        if self._vectors is None:
            texts = [paper_text(p.title, p.abstract) for p in self._papers]
            self._vectors = embedder.embed(texts)
        return self._vectors

    def _interest(self, interest: str) -> frozenset[int]:
        found = self._semantic.get(interest)
        if found is None:
            embedder = self._matcher.embedder()
            if embedder is None:
                return super()._interest(interest)
            similarity = self._paper_vectors(embedder) @ embedder.embed([interest])[0]
            found = frozenset(
                index
                for index, score in enumerate(similarity.tolist())
                if score >= self._min_similarity
            )
            self._semantic[interest] = found
        return found


class SemanticTopicMatcher:
    """Categories and keywords exactly; the interest by meaning (see the module doc)."""

    def __init__(
        self,
        embedder: Embedder | Callable[[], Embedder],
        *,
        min_similarity: float = INTEREST_MIN_SIMILARITY,
    ) -> None:
        # An embedder, or a function loading one on first use (may raise EmbedderError).
        self._source = embedder
        self._embedder: Embedder | None = embedder if isinstance(embedder, Embedder) else None
        self._failed = False
        self._lock = threading.Lock()
        self.min_similarity = min_similarity

    def embedder(self) -> Embedder | None:
        """The embedder, loaded once; None after a failed load (the word match is used)."""
        with self._lock:
            if self._embedder is None and not self._failed:
                try:
                    self._embedder = self._source()  # type: ignore[operator]
                except EmbedderError as exc:
                    log.warning("interests are matched by their words only: %s", exc)
                    self._failed = True
            return self._embedder

    def prepare(self, papers: Sequence[DigestPaper]) -> PreparedTopics:
        return _PreparedSemantic(papers, self, self.min_similarity)


def default_matcher(spec: str | None = None) -> SemanticTopicMatcher:
    """Interests matched with the configured embedder (``PAPERBOARD_EMBEDDER``), loaded only
    when a subscriber has an interest."""
    return SemanticTopicMatcher(lambda: load_embedder(spec, threads=1))
