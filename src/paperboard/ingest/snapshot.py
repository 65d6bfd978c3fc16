"""arXiv's bulk metadata snapshot (``arxiv-metadata-oai-snapshot.json``): JSON lines, plain or gzip.

Streams line by line, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

import orjson

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.links import find_links
from paperboard.domain.paper import (
    JSON_NUL,
    IngestItem,
    Malformed,
    PaperRecord,
    as_utc,
    clean_abstract,
    clean_authors,
    clean_title,
    split_authors,
    without_nul,
)

GZIP_MAGIC = b"\x1f\x8b"


def open_maybe_gzip(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _version_date(text: str) -> datetime:
    # "Mon, 2 Apr 2007 19:18:42 GMT"; ValueError for a date not representable in UTC.
    return as_utc(parsedate_to_datetime(text))


def _authors(data: dict[str, Any]) -> list[str]:
    parsed = data.get("authors_parsed")
    if parsed:
        # [last, first, suffix]: "First Last Suffix" reads naturally and matches arXiv's pages.
        return clean_authors([" ".join(p for p in (a[1], a[0], *a[2:]) if p) for a in parsed])
    return split_authors(data.get("authors") or "")


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def parse_snapshot_line(data: dict[str, Any]) -> PaperRecord:
    """One snapshot object -> record. Raises ValueError/KeyError/TypeError when unusable."""
    raw_id = data.get("id")
    if not raw_id or not isinstance(raw_id, str):
        raise ValueError("record has no id")
    arxiv_id = parse_arxiv_id(raw_id)
    title = clean_title(data.get("title") or "")
    if not title:
        raise ValueError("record has no title")
    abstract = clean_abstract(data.get("abstract") or "")
    versions = data.get("versions") or []
    published_at = updated_at = None
    version = arxiv_id.version or 1
    if versions:
        published_at = _version_date(versions[0]["created"])
        updated_at = _version_date(versions[-1]["created"])
        last = str(versions[-1].get("version", "")).lstrip("v")
        # At most four ASCII digits, as in versioned ids; anything else: count the versions.
        version = (
            int(last) if last.isascii() and last.isdigit() and len(last) <= 4 else len(versions)
        )
    update_day = data.get("update_date")
    if update_day and not versions:
        # Without a version history the update date is the only date there is.
        day = date.fromisoformat(update_day)
        published_at = updated_at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    comments = _optional(data, "comments")
    code_urls, project_page = find_links(abstract, comments)
    categories = list(dict.fromkeys((data.get("categories") or "").split()))
    return PaperRecord(
        arxiv_id=arxiv_id.id,
        title=title,
        abstract=abstract,
        authors=_authors(data),
        categories=categories,
        published_at=published_at,
        updated_at=updated_at,
        version=version,
        comments=comments,
        journal_ref=_optional(data, "journal-ref"),
        doi=_optional(data, "doi"),
        license=_optional(data, "license"),
        report_no=_optional(data, "report-no"),
        submitter=_optional(data, "submitter"),
        code_urls=code_urls,
        project_page=project_page,
    )


def iter_snapshot(stream: IO[bytes]) -> Iterator[IngestItem]:
    """Records of a snapshot stream; a bad line becomes :class:`Malformed` with its number."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
            if not isinstance(data, dict):
                raise ValueError("line is not a JSON object")
            record = parse_snapshot_line(data)
            yield without_nul(record) if JSON_NUL in line else record
        except orjson.JSONDecodeError as exc:
            yield Malformed(f"line {number}", f"invalid JSON: {exc}")
        except InvalidArxivId as exc:
            yield Malformed(f"line {number}", str(exc))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            yield Malformed(f"line {number}", f"{type(exc).__name__}: {exc}")


def estimate_lines(path: Path, sample_lines: int = 2000) -> int | None:
    """Guess a file's line count (a snapshot's records) from its size and its first lines, for
    a progress bar's ETA; None when it cannot be read."""
    try:
        size = path.stat().st_size
        with path.open("rb") as raw:
            is_gzip = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if is_gzip else raw
            lines = 0
            for _ in range(sample_lines):
                if not stream.readline():
                    return lines
                lines += 1
            consumed = raw.tell()
        return int(size / max(consumed, 1) * lines)
    except OSError:
        return None
