"""Search over every paper: keyword (tantivy, or PostgreSQL's tsvector when
PAPERBOARD_KEYWORD_INDEX=postgres), semantic (HNSW file | pgvector) and
their reciprocal-rank fusion, with filters, sorts, pages and highlights; similar papers.
Without an embedder ``SearchService.search`` is a keyword search.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from paperboard.search.embedder import Embedder, EmbedderError, load_embedder
from paperboard.search.highlight import Highlighter
from paperboard.search.keyword import KeywordIndex
from paperboard.search.query import ParsedQuery, parse_category, parse_query
from paperboard.search.results import MAX_LIMIT, SearchHit
from paperboard.search.similar import SimilarPapers, similar, similar_papers
from paperboard.search.vectors import (
    HnswFileIndex,
    VectorIndex,
    open_vector_index,
)
from paperboard.storage import listing
from paperboard.storage import papers as paper_store
from paperboard.storage import search as search_store
from paperboard.storage.database import Database
from paperboard.storage.search import Candidate, Filters

log = logging.getLogger(__name__)

MAX_RESULTS = 1000  # deepest result reachable by paging
# Reciprocal-rank fusion: score = sum over engines of weight / (RRF_K + rank). k=60 is the
# value of the original paper (Cormack et al. 2009) and of Papers with Code's successor;
# the weights were chosen on the development sets only (bench/search_quality.py --tune).
RRF_K = 60
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
# A keyword hit whose score leads the next by this fraction goes first (see ``combine``);
# None turns it off. Chosen on the development sets (bench/search_quality.py --tune: with it,
# MRR@10 0.956 vs 0.904 on title2abstract and 0.84 vs 0.78 on the paraphrase set; k and the
# weights mattered less, so they stay at the usual 60 and 1:1).
KEYWORD_LEAD_GAP: float | None = 0.1
# Candidates each engine contributes before fusion; more when filters will drop some.
CANDIDATES = 100
FILTERED_CANDIDATES = 500
# "Newest" and "most upvoted" re-sort this many of the most relevant matches (sorting every
# paper that shares one word with the query would put unrelated papers first).
SORT_POOL = 50
QUERY_CACHE_SIZE = 512
# Each web process holds its own copy of the HNSW file's index and picks up vectors that the
# embedding job stored meanwhile, at most this often, in the background.
VECTOR_SYNC_INTERVAL_S = 30.0

# A query's embedding (~8-10 ms on one core here) runs while the keyword engine searches:
# onnxruntime releases the GIL, so the two overlap on a second core (measured: -3 ms p50).
QUERY_EMBED_THREADS = 4
_query_embedding_pool = ThreadPoolExecutor(
    QUERY_EMBED_THREADS, thread_name_prefix="paperboard-query-embed"
)

Sort = Literal["relevance", "upvotes", "newest"]
Mode = Literal["hybrid", "keyword", "semantic"]
SORTS: tuple[str, ...] = ("relevance", "upvotes", "newest")


@dataclass(frozen=True)
class SearchRequest:
    query: str
    categories: tuple[str, ...] = ()  # any of them (added to cat: terms in the query)
    date_from: date | None = None
    date_to: date | None = None
    has_code: bool = False
    sort: Sort = "relevance"
    page: int = 1  # from 1
    per_page: int = 20
    mode: Mode = "hybrid"


# Why search by meaning did not take part in a search that asked for it (SearchPage).
SemanticMissing = Literal["off", "pending", "no_words"]
SEMANTIC_MISSING_NOTES: dict[str, str] = {
    "off": "meaning is not searched: this server runs without an embedding model",
    "pending": "meaning joins once papers have their embeddings",
    "no_words": "meaning needs words, and the query has none",
}


@dataclass
class SearchPage:
    request: SearchRequest
    parsed: ParsedQuery
    hits: list[SearchHit]
    total: int  # matches found (capped at MAX_RESULTS)
    has_next: bool
    semantic: bool  # whether semantic search took part
    missing_arxiv_ids: list[str] = field(default_factory=list)  # named in the query, not stored
    elapsed_ms: float = 0.0
    keyword: bool = False  # whether keyword search took part
    semantic_missing: SemanticMissing | None = None  # asked for, yet not part: why

    @property
    def engines(self) -> str:
        """What found the results, in words for labels: the engines that took part, not the
        mode asked for (a hybrid search before any embedding exists is a keyword search)."""
        if self.keyword and self.semantic:
            return "keywords and meaning"
        if self.keyword or self.semantic:
            return "keywords" if self.keyword else "meaning"
        return "filters"

    @property
    def semantic_note(self) -> str | None:
        """Why meaning was not searched although the mode asked for it, or None."""
        if self.semantic_missing is None:
            return None
        return SEMANTIC_MISSING_NOTES[self.semantic_missing]


class SearchService:
    """One per process. Without an embedder (or vectors) it is a keyword search."""

    def __init__(
        self,
        db: Database,
        keyword_index: KeywordIndex | None,
        vector_index: VectorIndex | None = None,
        embedder: Embedder | None = None,
        *,
        rrf_k: int = RRF_K,
        keyword_weight: float = KEYWORD_WEIGHT,
        semantic_weight: float = SEMANTIC_WEIGHT,
        keyword_lead_gap: float | None = KEYWORD_LEAD_GAP,
    ) -> None:
        self.db = db
        self.keyword_index = keyword_index
        self.vector_index = vector_index
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.keyword_weight = keyword_weight
        self.semantic_weight = semantic_weight
        self.keyword_lead_gap = keyword_lead_gap
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._last_sync = time.monotonic()
        self._syncing = threading.Lock()
        self._keyword_ready = False

    @property
    def semantic_available(self) -> bool:
        return self.embedder is not None and self.vector_index is not None

    # --- the engines ----------------------------------------------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector (cached: paging and feeds repeat queries)."""
        assert self.embedder is not None
        cached = self._cached_query_vector(text)
        if cached is not None:
            return cached
        vector = self.embedder.embed([text])[0]
        with self._cache_lock:
            self._query_vectors[text] = vector
            if len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        return vector

    def _cached_query_vector(self, text: str) -> np.ndarray | None:
        with self._cache_lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
            return cached

    def query_vector_soon(self, text: str) -> Future[np.ndarray]:
        """The query's vector, being computed in the background unless it is cached."""
        cached = self._cached_query_vector(text)
        if cached is None:
            return _query_embedding_pool.submit(self.embed_query, text)
        ready: Future[np.ndarray] = Future()
        ready.set_result(cached)
        return ready

    def keyword_hits(
        self, parsed: ParsedQuery, filters: Filters, depth: int
    ) -> list[tuple[int, float]]:
        """(paper id, engine score) best first."""
        if not parsed.has_text and not parsed.authors:
            return []
        if self.keyword_index is not None and self._keyword_index_ready():
            return self.keyword_index.search_parsed(parsed, depth)
        with self.db.read() as connection:
            return search_store.postgres_keyword_ids(
                connection, parsed.words, parsed.phrases, filters, depth
            )

    def _keyword_index_ready(self) -> bool:
        """On PostgreSQL a new machine's index starts empty and fills in the background (a
        million papers take minutes): until it holds something, the database's tsvector
        column answers. On SQLite the index is the only keyword engine."""
        if self._keyword_ready or self.db.is_sqlite:
            return True
        assert self.keyword_index is not None
        self._keyword_ready = self.keyword_index.num_docs() > 0
        return self._keyword_ready

    def keyword_ids(self, parsed: ParsedQuery, filters: Filters, depth: int) -> list[int]:
        return [i for i, _ in self.keyword_hits(parsed, filters, depth)]

    def semantic_hits(
        self, parsed: ParsedQuery, depth: int, vector: Future[np.ndarray] | None = None
    ) -> list[tuple[int, float]]:
        if not (self.semantic_available and parsed.has_text):
            return []
        assert self.vector_index is not None
        query_vector = self.embed_query(parsed.semantic_text) if vector is None else vector.result()
        return self.vector_index.search(query_vector, depth)

    def fuse(self, keyword: list[int], semantic: list[int]) -> list[tuple[int, float]]:
        """Weighted reciprocal-rank fusion: (id, score) best first; ties keep keyword order."""
        scores: dict[int, float] = {}
        for rank, paper_id in enumerate(keyword, 1):
            scores[paper_id] = scores.get(paper_id, 0.0) + self.keyword_weight / (self.rrf_k + rank)
        for rank, paper_id in enumerate(semantic, 1):
            scores[paper_id] = scores.get(paper_id, 0.0) + self.semantic_weight / (
                self.rrf_k + rank
            )
        return sorted(scores.items(), key=lambda item: -item[1])

    def combine(
        self, keyword: list[tuple[int, float]], semantic: list[int]
    ) -> list[tuple[int, float]]:
        """Fusion, except that a keyword hit scoring far above the next one leads: a query
        made of one paper's own words (a title, a phrase from it) is a look-up, and there
        the keyword engine is right (title2abstract, development set: 98% of its top hits
        leading by 10% or more were the paper sought; RRF alone demoted many of them)."""
        fused = self.fuse([i for i, _ in keyword], semantic)
        if self.keyword_lead_gap is None or not keyword or not semantic:
            return fused
        first = keyword[0][1]
        second = keyword[1][1] if len(keyword) > 1 else 0.0
        if first <= 0 or (first - second) / first < self.keyword_lead_gap:
            return fused
        leader = keyword[0][0]
        top_score = fused[0][1] + 1.0
        return [(leader, top_score)] + [(i, score) for i, score in fused if i != leader]

    def _maybe_sync_vectors(self) -> None:
        """Catch up with vectors stored by other processes, off the request path."""
        if self.vector_index is None or time.monotonic() - self._last_sync < VECTOR_SYNC_INTERVAL_S:
            return
        if not self._syncing.acquire(blocking=False):
            return
        self._last_sync = time.monotonic()

        def run() -> None:
            try:
                self._sync_vector_index()
            except Exception:  # the next request retries
                log.exception("vector index sync failed")
            finally:
                self._syncing.release()

        threading.Thread(target=run, name="paperboard-vector-sync", daemon=True).start()

    def catch_up_vectors(self) -> None:
        """Take in the vectors stored so far now, not within ``VECTOR_SYNC_INTERVAL_S`` (after
        a bulk load with vectors, such as the demo's)."""
        if self.vector_index is None:
            return
        with self._syncing:
            self._last_sync = time.monotonic()
            self._sync_vector_index()

    def _sync_vector_index(self) -> None:
        index = self.vector_index
        # Web processes only read: the embedding job's process saves the file.
        if isinstance(index, HnswFileIndex):
            index.sync(save=False)
        elif index is not None:
            index.sync()

    # --- search ---------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchPage:
        started = time.perf_counter()
        self._maybe_sync_vectors()
        parsed = parse_query(request.query)
        # A category from the request (the search page's ``cat``) is checked as one typed in
        # the query is: anything else reached tantivy's query syntax (a 500 for ``cat="``)
        # and PostgreSQL (a 500 for a NUL). One that cannot be a category is left out.
        requested = [c for c in map(parse_category, request.categories) if c]
        categories = tuple(dict.fromkeys((*parsed.categories, *requested)))
        if categories != tuple(parsed.categories):
            parsed = replace(parsed, categories=list(categories))
        filters = Filters(
            categories=categories,
            authors=tuple(parsed.authors),
            date_from=request.date_from,
            date_to=request.date_to,
            has_code=request.has_code,
        )
        per_page = max(1, min(request.per_page, MAX_LIMIT))
        page = max(1, request.page)
        offset = (page - 1) * per_page
        depth = FILTERED_CANDIDATES if filters.active else CANDIDATES
        depth = min(max(depth, offset + per_page + 1), MAX_RESULTS)
        use_keyword = request.mode in ("hybrid", "keyword")
        use_semantic = (
            request.mode in ("hybrid", "semantic") and self.semantic_available and parsed.has_text
        )
        vector = self.query_vector_soon(parsed.semantic_text) if use_semantic else None
        keyword_hits = self.keyword_hits(parsed, filters, depth) if use_keyword else []
        keyword = [i for i, _ in keyword_hits]
        semantic = self.semantic_hits(parsed, depth, vector) if use_semantic else []
        similarity = dict(semantic)
        fused = self.combine(keyword_hits, [i for i, _ in semantic])
        with self.db.read() as connection:
            exact = paper_store.ids_for(connection, parsed.arxiv_ids) if parsed.arxiv_ids else {}
            exact_ids = [exact[a] for a in parsed.arxiv_ids if a in exact]
            # Without words there is no relevance: newest (or most upvoted) first.
            sort = request.sort if parsed.has_text else request.sort.replace("relevance", "newest")
            by_index = parsed.authors and self.keyword_index is not None
            if sort == "relevance" and not filters.active:
                # The common case needs no look-up of the candidates: the page's rows will do.
                ordered = [i for i, _ in fused]
            elif parsed.has_text or by_index or not filters.active:
                # Author-only queries too, on tantivy: it finds names faster than LIKE.
                candidates = search_store.filter_candidates(
                    connection, [i for i, _ in fused], filters
                )
                ordered = self._sort(candidates, sort, relevant_pool=parsed.has_text)
            else:  # only filters: list what passes them
                candidates = search_store.filtered_listing(connection, filters, sort, depth)
                ordered = self._sort(candidates, sort, relevant_pool=False)
            ordered = exact_ids + [c for c in ordered if c not in exact_ids]
            window = ordered[offset : offset + per_page]
            found = listing.by_paper_ids(connection, window)
        scores = dict(fused)
        keyword_rank = {paper_id: rank for rank, paper_id in enumerate(keyword, 1)}
        semantic_rank = {paper_id: rank for rank, (paper_id, _) in enumerate(semantic, 1)}
        highlighter = Highlighter(parsed.terms())
        hits = [
            SearchHit(
                listed=listed,
                score=scores.get(listed.paper_id, 0.0),
                keyword_rank=keyword_rank.get(listed.paper_id),
                semantic_rank=semantic_rank.get(listed.paper_id),
                semantic_similarity=similarity.get(listed.paper_id),
                exact_id=listed.paper_id in exact_ids,
                highlight=highlighter(listed.paper.title, listed.paper.abstract),
            )
            for listed in found
        ]
        total = min(len(ordered), MAX_RESULTS)
        return SearchPage(
            request=request,
            parsed=parsed,
            hits=hits,
            total=total,
            has_next=offset + per_page < total,
            semantic=bool(semantic),
            missing_arxiv_ids=[a for a in parsed.arxiv_ids if a not in exact],
            elapsed_ms=(time.perf_counter() - started) * 1000,
            keyword=use_keyword and (parsed.has_text or bool(parsed.authors)),
            semantic_missing=self._semantic_missing(request, parsed, found_any=bool(semantic)),
        )

    def _semantic_missing(
        self, request: SearchRequest, parsed: ParsedQuery, *, found_any: bool
    ) -> SemanticMissing | None:
        if request.mode == "keyword" or found_any:
            return None
        if not self.semantic_available:
            return "off"
        if not parsed.has_text:
            return "no_words"
        # The vector index answers any query with its nearest papers: none means it is empty.
        return "pending"

    def _sort(self, candidates: list[Candidate], sort: str, *, relevant_pool: bool) -> list[int]:
        """Relevance keeps the fused order; other sorts reorder the SORT_POOL most relevant
        (all candidates when the query had no words, as nothing ranks them then)."""
        if sort == "relevance":
            return [c.id for c in candidates]
        pool = candidates[:SORT_POOL] if relevant_pool else list(candidates)

        def moment(c: Candidate) -> float:
            return c.published_at.timestamp() if c.published_at else 0.0

        if sort == "upvotes":
            pool.sort(key=lambda c: (-c.upvotes, -moment(c)))
        else:
            pool.sort(key=lambda c: -moment(c))
        return [c.id for c in pool]

    # --- similar papers -------------------------------------------------------------------
    def similar(self, paper_id: int, limit: int = 10) -> list[SearchHit]:
        return similar(self.db, paper_id, limit, vector_index=self.vector_index)

    def similar_papers(self, paper_id: int, limit: int = 10) -> SimilarPapers:
        """:meth:`similar`, saying whether the paper has its embedding yet."""
        return similar_papers(self.db, paper_id, limit, vector_index=self.vector_index)


def open_search_service(
    db: Database,
    keyword_index: KeywordIndex | None,
    data_dir: Path,
    *,
    embedder: Embedder | None = None,
    spec: str | None = None,
) -> SearchService:
    """The hybrid search of a process (serve, CLI). Without a usable embedding model it logs
    why and searches by keyword only: the site keeps working while ``paperboard embed`` or a
    package install is pending."""
    if embedder is None:
        try:
            # One thread: a web worker embeds one short query at a time; more threads only
            # contend with the other workers on a small machine.
            embedder = load_embedder(spec, threads=1)
        except EmbedderError as exc:
            log.warning("semantic search is off: %s", exc)
            return SearchService(db, keyword_index)
    vector_index = open_vector_index(db, data_dir, embedder.name, embedder.dim)
    return SearchService(db, keyword_index, vector_index, embedder)
