"""``paperboard export FILE``: the export format (ingest/export.py) written to a file, whole or
not at all."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO

from paperboard.ingest.export import ExportCounts, write_export
from paperboard.storage.database import Database


def export_to_file(db: Database, path: Path) -> ExportCounts:
    """Write the export to ``path`` (gzip-compressed when it ends in .gz)."""
    temporary = path.with_name(path.name + ".partial")
    with _open_for_writing(temporary, compress=path.suffix == ".gz") as stream:
        counts = write_export(db, stream)
    temporary.replace(path)  # never leave a half-written export under the real name
    return counts


def _open_for_writing(path: Path, *, compress: bool) -> IO[bytes]:
    return gzip.open(path, "wb") if compress else path.open("wb")  # type: ignore[return-value]
