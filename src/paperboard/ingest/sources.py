"""The grammar of ``paperboard ingest SOURCE`` and turning a source into records.

    PATH                              a file: snapshot JSON lines (.gz too), arXiv API Atom,
                                      OAI-PMH XML, arXiv RSS/Atom listing, Hugging Face
                                      daily-papers JSON, or a paperboard export (detected)
    arxiv:CAT[,CAT...][@FROM[..TO]]   arXiv API, papers submitted in those categories
                                      (default: the last PAPERBOARD_SYNC_DAYS days)
    arxiv-id:ID[,ID...]               arXiv API, these papers
    arxiv-oai[:SET][@FROM[..TO]]      arXiv OAI-PMH (arXivRaw), e.g. arxiv-oai:cs@2026-11-20
    arxiv-rss:CAT[+CAT...]            today's arXiv listing, e.g. arxiv-rss:cs.LG+cs.CL
    hf-daily[:DAY[..DAY]]             Hugging Face daily papers (default: today, UTC)

Dates are YYYY-MM-DD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperboard.config import Settings
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import IngestItem
from paperboard.ingest import arxiv_api, hf_daily, oaipmh, rss
from paperboard.ingest.detect import detect_format, iter_file
from paperboard.ingest.http import Fetcher
from paperboard.ingest.parallel import iter_snapshot_parallel

MAX_HF_DAYS = 366
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")


class SourceSyntaxError(ValueError):
    """SOURCE does not follow the grammar above."""


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # file | arxiv | arxiv-id | arxiv-oai | arxiv-rss | hf-daily
    path: Path | None = None
    categories: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    oai_set: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _today() -> date:
    return datetime.now(UTC).date()


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SourceSyntaxError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parse_range(text: str) -> tuple[date, date]:
    start, _, end = text.partition("..")
    first = _parse_date(start)
    last = _parse_date(end) if end else first
    if last < first:
        raise SourceSyntaxError(f"date range ends before it starts: {text!r}")
    return first, last


def _categories(text: str, separator: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in text.split(separator) if part.strip())
    if not items:
        raise SourceSyntaxError("no category given")
    for item in items:
        if not _CATEGORY.match(item):
            raise SourceSyntaxError(f"not an arXiv category: {item!r}")
    return items


def parse_source(text: str, *, sync_days: int = 3) -> SourceSpec:
    """Parse SOURCE; a string naming an existing file is always a file."""
    text = text.strip()
    if not text:
        raise SourceSyntaxError("empty SOURCE")
    try:
        is_path = Path(text).exists()
    except OSError:  # e.g. a long arxiv-id: list is too long to be a file name
        is_path = False
    if is_path:
        if Path(text).is_dir():
            raise SourceSyntaxError(f"{text} is a folder: name a file")
        return SourceSpec("file", path=Path(text))
    kind, _, rest = text.partition(":")
    if kind == "arxiv":
        cats, _, when = rest.partition("@")
        if when:
            first, last = _parse_range(when)
        else:
            last = _today()
            first = last - timedelta(days=sync_days - 1)
        return SourceSpec("arxiv", categories=_categories(cats, ","), date_from=first, date_to=last)
    if kind == "arxiv-id":
        try:
            ids = tuple(dict.fromkeys(parse_arxiv_id(p).id for p in rest.split(",") if p.strip()))
        except InvalidArxivId as exc:
            raise SourceSyntaxError(str(exc)) from None
        if not ids:
            raise SourceSyntaxError("no arXiv id given")
        return SourceSpec("arxiv-id", ids=ids)
    if kind == "arxiv-oai":
        oai_set, _, when = rest.partition("@")
        first, last = _parse_range(when) if when else (None, None)
        return SourceSpec("arxiv-oai", oai_set=oai_set or None, date_from=first, date_to=last)
    if kind == "arxiv-rss":
        return SourceSpec("arxiv-rss", categories=_categories(rest, "+"))
    if kind == "hf-daily":
        first, last = _parse_range(rest) if rest else (_today(), _today())
        if (last - first).days >= MAX_HF_DAYS:
            raise SourceSyntaxError(f"at most {MAX_HF_DAYS} days at once")
        return SourceSpec("hf-daily", date_from=first, date_to=last)
    if "/" in text or "." in text:
        raise SourceSyntaxError(f"no such file: {text}")
    raise SourceSyntaxError(
        f"unknown SOURCE {text!r}: expected a file path, arxiv:CAT, arxiv-id:ID, arxiv-oai, "
        "arxiv-rss:CAT, or hf-daily[:DAY]"
    )


def open_source(spec: SourceSpec, settings: Settings, fetcher: Fetcher) -> Iterator[IngestItem]:
    """The records of a source. Live sources fetch lazily, page by page."""
    if spec.kind == "file":
        assert spec.path is not None
        return _file_items(spec.path)
    if spec.kind == "arxiv":
        query = arxiv_api.category_query(list(spec.categories), spec.date_from, spec.date_to)
        return arxiv_api.fetch(fetcher, base_url=settings.arxiv_api_url, search_query=query)
    if spec.kind == "arxiv-id":
        return _chunked_ids(fetcher, settings.arxiv_api_url, list(spec.ids))
    if spec.kind == "arxiv-oai":
        return oaipmh.harvest(
            fetcher,
            base_url=settings.arxiv_oai_url,
            set_spec=spec.oai_set,
            from_date=spec.date_from,
            until_date=spec.date_to,
        )
    if spec.kind == "arxiv-rss":
        return iter(rss.fetch_listing(fetcher, list(spec.categories), settings.arxiv_rss_url).items)
    if spec.kind == "hf-daily":
        return _hf_days(spec, settings, fetcher)
    raise ValueError(spec.kind)


def _chunked_ids(fetcher: Fetcher, base_url: str, ids: list[str]) -> Iterator[IngestItem]:
    # Long id lists make long URLs: ask for at most 100 at a time.
    for start in range(0, len(ids), 100):
        yield from arxiv_api.fetch(fetcher, base_url=base_url, id_list=ids[start : start + 100])


def _hf_days(spec: SourceSpec, settings: Settings, fetcher: Fetcher) -> Iterator[IngestItem]:
    assert spec.date_from and spec.date_to
    day = spec.date_from
    while day <= spec.date_to:
        yield from hf_daily.fetch_daily(fetcher, day, f"{settings.hf_api_url}/daily_papers")
        day += timedelta(days=1)


def _file_items(path: Path) -> Iterator[IngestItem]:
    fmt = detect_format(path)
    if fmt == "snapshot":
        return iter_snapshot_parallel(path)
    return iter_file(path, fmt)
