"""``paperboard check``: is the derived state consistent with the database, and repair it.

The database is the source of truth; everything else is derived from it and can be rebuilt:
the tantivy keyword index and the usearch vector file (embedded default), the embeddings
(from the papers' texts), the papers' vote and comment counters, the leases of the digest
outbox. Each is normally kept in step by watermarks and transactions (see the modules named
below); a check verifies the result instead of trusting the mechanism, so that a kill -9, a
full disk, a restored backup or a bug shows up, and ``--repair`` brings it back.

Each check is an object with ``inspect`` (read only: a ``Finding``) and ``repair`` (fix what
the finding names). ``run_checks`` inspects, repairs when asked, and inspects again, so a
"repaired" status is one that was verified afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from paperboard.search import keyword
from paperboard.search.embedder import Embedder, EmbedderError, load_embedder
from paperboard.search.keyword import KeywordIndex
from paperboard.search.vectors import HnswFileIndex
from paperboard.search.vectors import index_path as vector_index_path
from paperboard.storage import board as board_store
from paperboard.storage import consistency
from paperboard.storage import outbox as outbox_store
from paperboard.storage.database import Database

log = logging.getLogger(__name__)

Status = Literal["ok", "problem", "repaired", "off"]
# A temporary file older than this belongs to a save that died (saves take seconds).
STALE_TEMPORARY = timedelta(minutes=10)
# A vector file missing more than this share of its keys is rebuilt rather than patched.
REBUILD_SHARE = 0.5
# PostgreSQL's derived indexes, with the migration that creates each (its DDL is reused).
POSTGRES_KEYWORD_INDEX = "ix_papers_search_vector"
POSTGRES_VECTOR_INDEX = "ix_embeddings_vector_hnsw"


class RepairError(RuntimeError):
    """A repair could not be made (the reason is shown in the report)."""


@dataclass
class Finding:
    """What an inspection found. ``problems`` empty: consistent (``summary`` says what)."""

    summary: str = ""
    problems: list[str] = field(default_factory=list)
    count: int = 0  # things found wrong (papers, rows, files): 0 when consistent
    off: bool = False  # the check does not apply (semantic search switched off)
    repairable: bool = True
    hint: str = ""  # what to do when --repair cannot help
    data: dict[str, Any] = field(default_factory=dict)  # what the repair needs


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    count: int = 0  # problems found by the first inspection
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class CheckReport:
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(result.status != "problem" for result in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [result.as_dict() for result in self.results]}


class CheckContext:
    """What the checks share: the database, the data dir, the configured embedder (loaded on
    first use), a clock and this machine's name."""

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        keyword_index: KeywordIndex | None,
        *,
        embedder_spec: str | None,
        embedder_threads: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        hostname: str | None = None,
    ) -> None:
        self.db = db
        self.data_dir = data_dir
        self.keyword_index = keyword_index
        self.embedder_spec = embedder_spec
        self.embedder_threads = embedder_threads
        self.clock = clock
        self.hostname = hostname if hostname is not None else socket.gethostname()
        self._embedder: Embedder | None = None

    @property
    def semantic_off(self) -> bool:
        return (self.embedder_spec or "").strip() == "off"

    def embedder(self) -> Embedder:
        """The configured embedder; ``EmbedderError`` when it cannot be loaded."""
        if self._embedder is None:
            self._embedder = load_embedder(self.embedder_spec, threads=self.embedder_threads)
        return self._embedder


class Check(Protocol):
    name: str

    def inspect(self, ctx: CheckContext) -> Finding: ...

    def repair(self, ctx: CheckContext, finding: Finding) -> None: ...


def run_checks(
    ctx: CheckContext,
    *,
    repair: bool = False,
    checks: Sequence[Check] | None = None,
) -> CheckReport:
    """Run every check (in order: a repair may feed the next check, e.g. new embeddings the
    vector index); with ``repair`` fix what is found and verify by inspecting again."""
    results = []
    for check in checks if checks is not None else default_checks():
        started = time.monotonic()
        result = _run_one(ctx, check, repair)
        result = CheckResult(**{**asdict(result), "seconds": time.monotonic() - started})
        results.append(result)
    return CheckReport(results)


def _inspect(ctx: CheckContext, check: Check) -> Finding:
    try:
        return check.inspect(ctx)
    except Exception as exc:  # a check that cannot run is reported, the others still run
        log.debug("check %s failed", check.name, exc_info=True)
        return Finding(problems=[f"could not check: {exc}"], count=1, repairable=False)


def _run_one(ctx: CheckContext, check: Check, repair: bool) -> CheckResult:
    finding = _inspect(ctx, check)
    if finding.off:
        return CheckResult(check.name, "off", finding.summary)
    if not finding.problems:
        return CheckResult(check.name, "ok", finding.summary)
    found = "; ".join(finding.problems)
    if not repair or not finding.repairable:
        if finding.hint:
            advice = finding.hint
        elif finding.repairable:
            advice = "paperboard check --repair fixes this"
        else:
            advice = ""
        detail = f"{found} ({advice})" if advice else found
        return CheckResult(check.name, "problem", detail, finding.count)
    try:
        check.repair(ctx, finding)
    except Exception as exc:  # reported; the other checks still run
        log.debug("repair of %s failed", check.name, exc_info=True)
        return CheckResult(check.name, "problem", f"{found}; repair failed: {exc}", finding.count)
    after = _inspect(ctx, check)
    if after.problems:
        detail = f"{found}; after repair still: {'; '.join(after.problems)}"
        return CheckResult(check.name, "problem", detail, finding.count)
    return CheckResult(check.name, "repaired", f"repaired: {found}", finding.count)


def default_checks() -> list[Check]:
    return [
        DatabaseCheck(),
        KeywordIndexCheck(),
        EmbeddingsCheck(),
        VectorIndexCheck(),
        CountersCheck(),
        OutboxLeasesCheck(),
        TemporaryFilesCheck(),
    ]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _some(ids: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    """A few example ids: enough to look one up, never thousands."""
    shown = ", ".join(str(int(i)) for i in list(ids)[:limit])
    return f" (ids {shown}{', ...' if len(ids) > limit else ''})"


def _migration_ddl(module: str, attribute: str) -> Any:
    """DDL a migration runs on PostgreSQL, reused to recreate a derived index or column."""
    found = importlib.import_module(f"paperboard.storage.migrations.versions.{module}")
    return getattr(found, attribute)


def _postgres_index_problem(ctx: CheckContext, name: str) -> str | None:
    with ctx.db.read() as connection:
        state = consistency.postgres_index_state(connection, name)
    if state == "ok":
        return None
    return f"index {name} is {state}"


def _repair_postgres_index(ctx: CheckContext, name: str, create: str) -> None:
    with ctx.db.write() as connection:
        consistency.restore_postgres_index(connection, name, create)


# --- the database file ---------------------------------------------------------------------------


class DatabaseCheck:
    """SQLite's structure and foreign keys after a crash (PostgreSQL checks its own pages)."""

    name = "database"

    def inspect(self, ctx: CheckContext) -> Finding:
        if not ctx.db.is_sqlite:
            return Finding(summary="PostgreSQL (crash safety is the server's own)")
        with ctx.db.read() as connection:
            problems = consistency.sqlite_problems(connection)
        if not problems:
            return Finding(summary="SQLite quick_check and foreign keys ok")
        shown = problems[: consistency.MAX_LISTED]
        more = len(problems) - len(shown)
        return Finding(
            problems=[*shown, *([f"... and {more:,} more"] if more else [])],
            count=len(problems),
            repairable=False,
            hint="stop paperboard, keep a copy of the file, then restore a backup or use "
            "sqlite3's .recover",
        )

    def repair(self, ctx: CheckContext, finding: Finding) -> None:  # pragma: no cover
        raise RepairError("a damaged database file cannot be repaired in place")


# --- the keyword index ---------------------------------------------------------------------------


class KeywordIndexCheck:
    """tantivy (SQLite): one document per paper, no stale or duplicate documents, the
    watermark not past the database and nothing changed after it. PostgreSQL: the generated
    tsvector column and its GIN index exist and are valid."""

    name = "keyword index"

    def inspect(self, ctx: CheckContext) -> Finding:
        if ctx.keyword_index is None:
            return self._inspect_postgres(ctx)
        index = ctx.keyword_index
        with ctx.db.read() as connection:
            db_ids = consistency.paper_ids(connection)
            newest = consistency.max_modified_at(connection)
            watermark = index.committed_watermark
            lagging = consistency.count_modified_after(connection, watermark)
        indexed = np.asarray(index.indexed_ids(), np.int64)
        unique = np.unique(indexed)
        missing = np.setdiff1d(db_ids, unique, assume_unique=True)
        stale = np.setdiff1d(unique, db_ids, assume_unique=True)
        duplicated = (
            unique[np.bincount(np.searchsorted(unique, indexed)) > 1] if len(unique) else unique
        )
        finding = Finding(
            summary=f"{_plural(len(unique), 'paper')} indexed, watermark {_moment(watermark)}",
            data={
                "missing": missing,
                "stale": stale,
                "duplicated": duplicated,
                "max_indexed": int(unique[-1]) if len(unique) else 0,
            },
        )
        if len(missing):
            finding.problems.append(f"{_plural(len(missing), 'paper')} not indexed{_some(missing)}")
        if len(stale):
            finding.problems.append(
                f"{_plural(len(stale), 'indexed id')} not in the database{_some(stale)}"
            )
        if len(duplicated):
            finding.problems.append(
                f"{_plural(len(duplicated), 'paper')} indexed more than once{_some(duplicated)}"
            )
        if watermark is not None and newest is not None and watermark > newest:
            finding.problems.append(
                f"the watermark ({_moment(watermark)}) is past the newest change in the "
                f"database ({_moment(newest)}): was the database restored from a backup?"
            )
            finding.data["rebuild"] = True
        elif watermark is not None and newest is None:
            finding.problems.append("the index has a watermark but the database has no papers")
            finding.data["rebuild"] = True
        if lagging and len(db_ids):
            finding.problems.append(
                f"{_plural(lagging, 'paper')} changed after the watermark (not synced yet)"
            )
        if len(unique) and index.recorded_max_id < finding.data["max_indexed"]:
            finding.problems.append(
                f"the sidecar's highest id ({index.recorded_max_id}) is below the highest "
                f"indexed id ({finding.data['max_indexed']}): re-adding would duplicate"
            )
        # Papers affected; the lagging ones are mostly the missing ones again.
        finding.count = max(len(missing) + len(stale) + len(duplicated), lagging)
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        index = ctx.keyword_index
        if index is None:
            self._repair_postgres(ctx, finding)
            return
        if finding.data.get("rebuild"):
            keyword.rebuild(ctx.db, index)
        else:
            keyword.sync(ctx.db, index)  # whatever changed after the watermark
        again = self.inspect(ctx)
        data = again.data
        if not again.problems:
            return
        targets = np.union1d(data["missing"], data["duplicated"])
        done = keyword.reindex(
            ctx.db,
            index,
            (int(i) for i in targets),
            remove=(int(i) for i in data["stale"]),
            max_id=data["max_indexed"],
        )
        if not done:
            raise RepairError(
                "another process (serve, worker, ingest?) holds the keyword index: stop it "
                "or run the repair again later"
            )

    # PostgreSQL: the index is a generated column, so a paper cannot lack it; what can go
    # wrong is the schema (a dropped index, an interrupted REINDEX CONCURRENTLY).
    def _inspect_postgres(self, ctx: CheckContext) -> Finding:
        with ctx.db.read() as connection:
            generated = consistency.postgres_generated_column(connection, "papers", "search_vector")
            nulls = consistency.count_null_search_vectors(connection) if generated else 0
        finding = Finding(summary="tsvector column generated by PostgreSQL, GIN index valid")
        if not generated:
            finding.problems.append("papers.search_vector is not a generated tsvector column")
            finding.data["column"] = True
        if nulls:
            finding.problems.append(f"{_plural(nulls, 'paper')} without a search vector")
            finding.repairable = False  # cannot happen with the generated column: look closer
        problem = _postgres_index_problem(ctx, POSTGRES_KEYWORD_INDEX)
        if problem:
            finding.problems.append(problem)
        finding.count = len(finding.problems)
        return finding

    def _repair_postgres(self, ctx: CheckContext, finding: Finding) -> None:
        column, create_index = _migration_ddl("0001_papers", "POSTGRES_FTS")
        if finding.data.get("column"):
            with ctx.db.write() as connection:
                consistency.recreate_search_vector(connection, column)
        _repair_postgres_index(ctx, POSTGRES_KEYWORD_INDEX, create_index)


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "none"


# --- embeddings ----------------------------------------------------------------------------------


class EmbeddingsCheck:
    """Every paper has a vector of the configured embedder for its present text."""

    name = "embeddings"

    def inspect(self, ctx: CheckContext) -> Finding:
        if ctx.semantic_off:
            return Finding(summary="semantic search off (PAPERBOARD_EMBEDDER=off)", off=True)
        try:
            embedder = ctx.embedder()
        except EmbedderError as exc:
            return Finding(
                problems=[f"the embedder cannot be loaded: {exc}"], count=1, repairable=False
            )
        with ctx.db.read() as connection:
            counts = consistency.embedding_counts(connection, embedder.name, embedder.dim)
        finding = Finding(
            summary=f"{_plural(counts.current, 'paper')} embedded with {embedder.name}",
            data={"counts": counts},
        )
        if counts.missing:
            finding.problems.append(f"{_plural(counts.missing, 'paper')} without an embedding")
        if counts.stale:
            finding.problems.append(
                f"{_plural(counts.stale, 'embedding')} of an older text of the paper"
            )
        if counts.other_model:
            finding.problems.append(
                f"{_plural(counts.other_model, 'paper')} embedded with another model only"
            )
        if counts.wrong_dim:
            finding.problems.append(
                f"{_plural(counts.wrong_dim, 'vector')} of {embedder.name} with a dimension "
                f"other than {embedder.dim}"
            )
        finding.count = counts.missing + counts.stale + counts.other_model + counts.wrong_dim
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        from paperboard.jobs.embed import backfill

        embedder = ctx.embedder()
        if finding.data["counts"].wrong_dim:
            with ctx.db.write() as connection:
                consistency.delete_wrong_dim(connection, embedder.name, embedder.dim)
        # The vector index is brought in step by the next check (its own repair).
        report = backfill(ctx.db, embedder)
        log.info("embedded %d papers (%.1f/s)", report.embedded, report.rate)


# --- the vector index ----------------------------------------------------------------------------


class VectorIndexCheck:
    """The HNSW file (SQLite) holds exactly the keys of the papers embedded with the
    configured model, is of that model and dimension, and nothing was stored after its
    watermark. PostgreSQL: pgvector's HNSW index exists and is valid."""

    name = "vector index"

    def inspect(self, ctx: CheckContext) -> Finding:
        if ctx.semantic_off:
            return Finding(summary="semantic search off (PAPERBOARD_EMBEDDER=off)", off=True)
        if not ctx.db.is_sqlite:
            problem = _postgres_index_problem(ctx, POSTGRES_VECTOR_INDEX)
            if problem:
                return Finding(problems=[problem], count=1)
            return Finding(summary="pgvector HNSW index valid (kept by PostgreSQL)")
        try:
            embedder = ctx.embedder()
        except EmbedderError as exc:
            return Finding(
                problems=[f"the embedder cannot be loaded: {exc}"], count=1, repairable=False
            )
        index = _open_vector_file(ctx, embedder)
        state = index.file_state()
        watermark = (
            _decode_watermark(state.get("watermark")) if index.load_problem is None else None
        )
        with ctx.db.read() as connection:
            embedded = consistency.embedded_ids(connection, embedder.name)
            if watermark is None:
                unsynced = len(embedded)
            else:
                unsynced = consistency.count_created_after(connection, embedder.name, watermark)
        keys = np.unique(index.keys())
        missing = np.setdiff1d(embedded, keys, assume_unique=True)
        stale = np.setdiff1d(keys, embedded, assume_unique=True)
        finding = Finding(
            summary=f"{_plural(len(keys), 'vector')} of {embedder.name} ({embedder.dim} "
            f"dimensions) in {index.path.name}",
            data={"missing": missing, "stale": stale, "rebuild": index.load_problem is not None},
        )
        if not index.path.exists():
            if len(embedded):
                finding.problems.append(f"{index.path.name} does not exist")
            else:
                finding.summary = "no vectors yet"
        elif index.load_problem is not None:
            finding.problems.append(f"{index.path.name}: {index.load_problem}")
        if len(missing):
            finding.problems.append(
                f"{_plural(len(missing), 'embedded paper')} missing{_some(missing)}"
            )
        if len(stale):
            finding.problems.append(
                f"{_plural(len(stale), 'key')} of papers without a {embedder.name} vector"
                f"{_some(stale)}"
            )
        if unsynced and index.path.exists() and index.load_problem is None:
            finding.problems.append(
                f"{_plural(unsynced, 'vector')} stored after the file was saved (not synced yet)"
            )
        finding.count = max(len(missing), unsynced) + len(stale)
        if len(embedded) and len(missing) > REBUILD_SHARE * len(embedded):
            finding.data["rebuild"] = True
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        if not ctx.db.is_sqlite:
            create = _migration_ddl("0003_embeddings", "POSTGRES_HNSW")
            _repair_postgres_index(ctx, POSTGRES_VECTOR_INDEX, create)
            return
        embedder = ctx.embedder()
        index = _open_vector_file(ctx, embedder)
        if finding.data["rebuild"] or index.load_problem is not None:
            index.rebuild()
            return
        index.sync(save=False)  # what was stored after the watermark, re-embedded vectors too
        with ctx.db.read() as connection:
            embedded = consistency.embedded_ids(connection, embedder.name)
            keys = np.unique(index.keys())
            missing = np.setdiff1d(embedded, keys, assume_unique=True)
            stale = np.setdiff1d(keys, embedded, assume_unique=True)
            rows = []
            for start in range(0, len(missing), consistency.MAX_IN_LIST):
                chunk = [int(i) for i in missing[start : start + consistency.MAX_IN_LIST]]
                rows += consistency.stored_vectors(connection, embedder.name, chunk)
        index.reconcile([int(i) for i in stale], rows)
        index.save(force=True)


def _open_vector_file(ctx: CheckContext, embedder: Embedder) -> HnswFileIndex:
    """The file as a new process would load it, without the catching up such a process does
    next (``open_vector_index`` syncs; the check must see the file as it is)."""
    path = vector_index_path(ctx.data_dir, embedder.name)
    return HnswFileIndex(ctx.db, path, embedder.name, embedder.dim)


def _decode_watermark(value: Any) -> tuple[datetime, int] | None:
    if not value:
        return None
    return datetime.fromisoformat(value[0]), int(value[1])


# --- counters ------------------------------------------------------------------------------------


class CountersCheck:
    """papers.upvotes / num_comments / local_comments equal what ``board.refresh_counters``
    computes from the featured entries, votes and visible comments."""

    name = "counters"

    def inspect(self, ctx: CheckContext) -> Finding:
        with ctx.db.read() as connection:
            skews = consistency.counter_skews(connection)
        if not skews:
            return Finding(summary="upvote and comment counters match votes and comments")
        first = skews[0]
        example = (
            f"e.g. paper {first.paper_id}: {first.upvotes} upvotes (should be "
            f"{first.expected_upvotes}), {first.num_comments} comments (should be "
            f"{first.expected_comments}), {first.local_comments} of them here (should be "
            f"{first.expected_local_comments})"
        )
        return Finding(
            problems=[f"{_plural(len(skews), 'paper')} with counters out of step; {example}"],
            count=len(skews),
            data={"ids": [skew.paper_id for skew in skews]},
        )

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        with ctx.db.write() as connection:
            board_store.refresh_counters(connection, finding.data["ids"])


# --- digest outbox leases ------------------------------------------------------------------------


def process_is_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this machine (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's process: alive
    with contextlib.suppress(OSError, IndexError):
        # /proc/PID/stat: "pid (name) state ...": Z is a killed process not yet reaped.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] == "Z"
    return False


def _dead_local_owner(owner: str, hostname: str) -> bool:
    """A lease owner (delivery.py: "host:pid:random") that was a process on this machine
    that no longer runs. Releasing its lease is safe even if this is wrong: sending is fenced
    on the lease owner (outbox.mark_sending), so a live owner would just stop."""
    host, _, rest = owner.rpartition(":")[0].rpartition(":")
    if host != hostname[:32] or not rest.isdigit():
        return False
    return process_is_gone(int(rest))


class OutboxLeasesCheck:
    """No digest stuck "sending" past its lease (a run died after handing it to the mail
    server: it becomes "uncertain", never resent) and no lease held by a process of this
    machine that is gone (a killed ``digest send``: its rows would wait out the lease)."""

    name = "digest outbox"

    def inspect(self, ctx: CheckContext) -> Finding:
        now = ctx.clock()
        with ctx.db.read() as connection:
            leased = consistency.leased_outbox_rows(connection)
        stuck = [
            row
            for row in leased
            if row.state == outbox_store.SENDING
            and row.lease_until is not None
            and row.lease_until < now
        ]
        stuck_ids = {row.id for row in stuck}
        orphaned = [
            row
            for row in leased
            if row.id not in stuck_ids
            and (row.lease_until is None or row.lease_until >= now)
            and _dead_local_owner(row.lease_owner, ctx.hostname)
        ]
        finding = Finding(
            summary="no digest stuck or leased by a dead process",
            data={"stuck": stuck, "orphaned": orphaned},
            count=len(stuck) + len(orphaned),
        )
        if stuck:
            finding.problems.append(
                f"{_plural(len(stuck), 'digest')} stuck in 'sending' past the lease (the "
                "sending run died after handing them to the mail server)"
            )
        if orphaned:
            owners = sorted({row.lease_owner for row in orphaned})
            finding.problems.append(
                f"{_plural(len(orphaned), 'digest')} leased by "
                f"{'a process' if len(owners) == 1 else f'{len(owners)} processes'} of this "
                f"machine that no longer runs ({', '.join(owners[:3])})"
            )
        return finding

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        now = ctx.clock()
        with ctx.db.write() as connection:
            outbox_store.recover_stale(connection, now)
            for row in finding.data["orphaned"]:
                if row.state == outbox_store.SENDING:
                    # Handed to the mail server (or about to be): never resent.
                    outbox_store.mark_uncertain(
                        connection,
                        row.id,
                        row.lease_owner,
                        now,
                        "the sending process died after handing the message to the mail "
                        "server; not resent (it was most likely delivered)",
                    )
                else:
                    outbox_store.release(connection, [row.id], row.lease_owner, now)


# --- temporary files -----------------------------------------------------------------------------


class TemporaryFilesCheck:
    """Half-written files left by a process killed while saving an index (a vector file's
    temporary copy is as large as the index)."""

    name = "temporary files"

    def _leftovers(self, ctx: CheckContext) -> list[Path]:
        cutoff = time.time() - STALE_TEMPORARY.total_seconds()
        candidates = [
            *ctx.data_dir.glob("vector-index-*.tmp"),
            # KeywordIndex._write_state's temporary sidecar (tantivy cleans up its own files).
            keyword.index_path(ctx.data_dir) / "paperboard-sync.tmp",
        ]
        found = []
        for path in candidates:
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    found.append(path)
        return sorted(found)

    def inspect(self, ctx: CheckContext) -> Finding:
        leftovers = self._leftovers(ctx)
        if not leftovers:
            return Finding(summary="none left behind")
        size = sum(path.stat().st_size for path in leftovers if path.exists())
        names = ", ".join(path.name for path in leftovers[:3])
        return Finding(
            problems=[
                f"{_plural(len(leftovers), 'file')} of a save that died ({names}; {size:,} bytes)"
            ],
            count=len(leftovers),
            data={"paths": leftovers},
        )

    def repair(self, ctx: CheckContext, finding: Finding) -> None:
        for path in finding.data["paths"]:
            # A vector file's saver holds "<file>.lock" while it writes the temporary copy.
            lock = path.with_name(path.name.removesuffix(".tmp") + ".lock")
            if path.name.startswith("vector-index-") and lock.exists():
                with lock.open("a") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                    try:
                        path.unlink(missing_ok=True)
                    finally:
                        fcntl.flock(handle, fcntl.LOCK_UN)
            else:
                path.unlink(missing_ok=True)
