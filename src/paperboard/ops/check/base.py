"""What every check shares: the context it runs in, what an inspection finds, small helpers."""

from __future__ import annotations

import importlib
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from paperboard.search.embedder import Embedder, load_embedder
from paperboard.search.keyword import KeywordIndex
from paperboard.storage import consistency
from paperboard.storage.database import Database


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


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def some_ids(ids: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    """A few example ids: enough to look one up, never thousands."""
    shown = ", ".join(str(int(i)) for i in list(ids)[:limit])
    return f" (ids {shown}{', ...' if len(ids) > limit else ''})"


def migration_ddl(module: str, attribute: str) -> Any:
    """DDL a migration runs on PostgreSQL, reused to recreate a derived index or column."""
    found = importlib.import_module(f"paperboard.storage.migrations.versions.{module}")
    return getattr(found, attribute)


def postgres_index_problem(ctx: CheckContext, name: str) -> str | None:
    with ctx.db.read() as connection:
        state = consistency.postgres_index_state(connection, name)
    if state == "ok":
        return None
    return f"index {name} is {state}"


def repair_postgres_index(ctx: CheckContext, name: str, create: str) -> None:
    with ctx.db.write() as connection:
        consistency.restore_postgres_index(connection, name, create)
