"""paperboard's own JSON-lines export: every paper and featured entry, read back losslessly.

Layout (one JSON object a line, UTF-8, optionally gzip-compressed by the caller):

- line 1, a header: ``{"format": "paperboard-export", "version": 1, "exported_at": "..."}``;
- one ``{"kind": "paper", ...}`` line per paper, with every :class:`PaperRecord` field;
- one ``{"kind": "featured", ...}`` line per featured entry, with every
  :class:`FeaturedRecord` field.

Papers come before featured entries so that a loader reading the file in order always has a
featured entry's paper already stored. Datetimes are ISO 8601 with their UTC offset, dates ISO
8601, lists JSON lists. Readers ignore keys they do not know, so a newer paperboard may add
fields without breaking an older one; a format change that older readers must refuse bumps
:data:`EXPORT_VERSION`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, get_type_hints

import orjson

from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import (
    JSON_NUL,
    MAX_COUNT,
    FeaturedRecord,
    IngestItem,
    Malformed,
    PaperRecord,
    as_utc,
    without_nul,
)
from paperboard.ingest.errors import SourceError
from paperboard.storage import featured as featured_store
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database

EXPORT_FORMAT = "paperboard-export"
EXPORT_VERSION = 1

PAPER_KIND = "paper"
FEATURED_KIND = "featured"


@dataclass(slots=True)
class ExportCounts:
    """How many records :func:`write_export` wrote."""

    papers: int = 0
    featured: int = 0


# --- writing --------------------------------------------------------------------------------


def header() -> dict[str, Any]:
    """The first line of an export (``exported_at`` is informative only; readers ignore it)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
    }


def record_line(record: PaperRecord | FeaturedRecord) -> bytes:
    """One record as an export line (newline included)."""
    kind = PAPER_KIND if isinstance(record, PaperRecord) else FEATURED_KIND
    # Built field by field rather than with orjson's dataclass support so that "kind" comes
    # first (a person reading the file sees what each line is) and new fields follow by
    # themselves.
    data: dict[str, Any] = {"kind": kind}
    for item in dataclasses.fields(record):
        data[item.name] = getattr(record, item.name)
    return orjson.dumps(data) + b"\n"


def write_export(db: Database, out: IO[bytes]) -> ExportCounts:
    """Write every paper, then every featured entry, to ``out``; memory stays flat.

    Pass a ``gzip.open(path, "wb")`` stream for a compressed export. Both tables are read in
    one transaction, so a featured entry never refers to a paper missing from the file.
    """
    counts = ExportCounts()
    out.write(orjson.dumps(header()) + b"\n")
    with db.read() as connection:
        for paper in paper_store.iter_all(connection):
            out.write(record_line(paper))
            counts.papers += 1
        for entry in featured_store.iter_all(connection):
            out.write(record_line(entry))
            counts.featured += 1
    return counts


# --- reading: one value of each field type --------------------------------------------------


class _BadValue(ValueError):
    """A field's value cannot be read; the message says why."""


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise _BadValue(f"expected a string, got {type(value).__name__}")
    return value


def _as_int(value: Any) -> int:
    # JSON true/false would pass isinstance(int); they are not counts.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadValue(f"expected an integer, got {type(value).__name__}")
    # Every integer field is a count or a version: what the store's columns can hold.
    if not 0 <= value <= MAX_COUNT:
        raise _BadValue(f"{value} is not a count (0 to {MAX_COUNT})")
    return value


def _as_str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _BadValue("expected a list of strings")
    return value


def _as_datetime(value: Any) -> datetime:
    try:
        # paperboard writes the offset; a hand-edited time without one is taken as UTC, as the
        # other sources do, because the store accepts only timezone-aware times.
        return as_utc(datetime.fromisoformat(_as_str(value)))
    except ValueError as exc:
        raise _BadValue(f"not an ISO 8601 time: {value!r}") from exc


def _as_date(value: Any) -> date:
    try:
        return date.fromisoformat(_as_str(value))
    except ValueError as exc:
        raise _BadValue(f"not an ISO 8601 date: {value!r}") from exc


def _optional(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else read(value)


_READERS: dict[Any, Callable[[Any], Any]] = {
    str: _as_str,
    int: _as_int,
    list[str]: _as_str_list,
    datetime: _as_datetime,
    date: _as_date,
    str | None: _optional(_as_str),
    int | None: _optional(_as_int),
    datetime | None: _optional(_as_datetime),
    date | None: _optional(_as_date),
}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    read: Callable[[Any], Any]
    required: bool


def _schema(record_type: type) -> tuple[_Field, ...]:
    """How to read each field of ``record_type``, derived from its type hints.

    Deriving it keeps export and import in step when a field is added to the record; a field
    of a type this module cannot read fails here, at import time, not on someone's data.
    """
    hints = get_type_hints(record_type)
    schema = []
    for item in dataclasses.fields(record_type):
        read = _READERS.get(hints[item.name])
        if read is None:
            raise TypeError(f"export: no reader for {record_type.__name__}.{item.name}")
        required = (
            item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        )
        schema.append(_Field(item.name, read, required))
    return tuple(schema)


_PAPER_FIELDS = _schema(PaperRecord)
_FEATURED_FIELDS = _schema(FeaturedRecord)


def _values(data: dict[str, Any], schema: tuple[_Field, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in schema:
        if item.name not in data:
            if item.required:
                raise _BadValue(f"missing field {item.name!r}")
            continue  # the record's default, e.g. a field an older paperboard did not write
        try:
            values[item.name] = item.read(data[item.name])
        except _BadValue as exc:
            raise _BadValue(f"{item.name}: {exc}") from exc
    try:
        # The store holds canonical ids only; refuse anything that is not one.
        values["arxiv_id"] = parse_arxiv_id(values["arxiv_id"]).id
    except InvalidArxivId as exc:
        raise _BadValue(f"arxiv_id: {exc}") from exc
    return values


def parse_record(data: dict[str, Any]) -> PaperRecord | FeaturedRecord:
    """One export object -> record; raises ValueError with the reason when unusable."""
    kind = data.get("kind")
    if kind == PAPER_KIND:
        return PaperRecord(**_values(data, _PAPER_FIELDS))
    if kind == FEATURED_KIND:
        return FeaturedRecord(**_values(data, _FEATURED_FIELDS))
    raise _BadValue(f"unknown kind {kind!r}")


# --- reading: the file ----------------------------------------------------------------------


def _check_header(line: bytes) -> None:
    if not line.strip():
        raise SourceError("paperboard export: empty file or no header on line 1")
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"paperboard export: line 1 is not a JSON header ({exc})") from exc
    if not isinstance(data, dict) or "format" not in data:
        raise SourceError("paperboard export: line 1 is not an export header (no 'format')")
    if data["format"] != EXPORT_FORMAT:
        raise SourceError(
            f"paperboard export: format is {data['format']!r}, expected {EXPORT_FORMAT!r}"
        )
    version = data.get("version")
    if version != EXPORT_VERSION:
        raise SourceError(
            f"paperboard export: version {version!r} is not supported (this paperboard reads "
            f"version {EXPORT_VERSION}; a newer export needs a newer paperboard)"
        )


def iter_export(stream: IO[bytes]) -> Iterator[IngestItem]:
    """Records of an export stream, in file order.

    The header is checked now: :class:`SourceError` for a missing header or another format
    or version. A bad line later on becomes :class:`Malformed` (``line N``) and reading goes
    on. Keep ``stream`` open while iterating.
    """
    _check_header(stream.readline())
    return _records(stream)


def _records(stream: IO[bytes]) -> Iterator[IngestItem]:
    for number, line in enumerate(stream, start=2):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Malformed(f"line {number}", f"invalid JSON: {exc}")
            continue
        if not isinstance(data, dict):
            yield Malformed(f"line {number}", "line is not a JSON object")
            continue
        try:
            record = parse_record(data)
        except _BadValue as exc:
            yield Malformed(f"line {number}", str(exc))
            continue
        yield without_nul(record) if JSON_NUL in line else record
