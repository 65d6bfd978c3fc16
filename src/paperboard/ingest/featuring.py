"""Featuring papers on a day's board (curators, imports); unknown papers come from arXiv."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperboard.domain.arxiv_id import parse_arxiv_id
from paperboard.domain.paper import FeaturedRecord, PaperRecord
from paperboard.ingest import arxiv_api
from paperboard.ingest.http import Fetcher
from paperboard.ingest.loader import LoadReport
from paperboard.ingest.service import ingest
from paperboard.search.keyword import KeywordIndex
from paperboard.storage import papers as paper_store
from paperboard.storage.database import Database


class FeatureError(ValueError):
    """A paper could not be featured (unknown to arXiv, say)."""


def feature_papers(
    db: Database,
    keyword_index: KeywordIndex | None,
    fetcher: Fetcher,
    arxiv_ids: list[str],
    day: date,
    *,
    arxiv_api_url: str,
    curator: str | None = None,
) -> LoadReport:
    """Feature ``arxiv_ids`` on ``day``; papers not yet stored are fetched from the arXiv API."""
    ids = list(dict.fromkeys(parse_arxiv_id(text).id for text in arxiv_ids))
    with db.read() as connection:
        known = paper_store.ids_for(connection, ids)
    missing = [arxiv_id for arxiv_id in ids if arxiv_id not in known]
    fetched: list[PaperRecord] = []
    if missing:
        items = arxiv_api.fetch(fetcher, base_url=arxiv_api_url, id_list=missing)
        fetched = [item for item in items if isinstance(item, PaperRecord)]
        not_found = set(missing) - {record.arxiv_id for record in fetched}
        if not_found:
            raise FeatureError(f"not found on arXiv: {', '.join(sorted(not_found))}")
    now = datetime.now(UTC)
    entries = [
        FeaturedRecord(
            arxiv_id=arxiv_id,
            day=day,
            submitted_by=curator,
            submitted_by_fullname=curator,
            featured_at=now,
            source="curator",
        )
        for arxiv_id in ids
    ]
    return ingest(db, [*fetched, *entries], keyword_index=keyword_index)
