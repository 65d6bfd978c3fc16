"""Paper listings for the JSON API and the feeds.

- ``newest_page``: every paper, newest first, in key-set pages (no OFFSET, so page 1,000 costs
  what page 1 costs);
- ``by_arxiv_ids``: papers found elsewhere (search hits) with their counters and first board;
- ``data_version``: a cheap fingerprint of what the API serves, for the response cache.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, literal, select, tuple_

from paperboard.domain.paper import PaperRecord
from paperboard.storage.board import BoardEntry
from paperboard.storage.papers import MAX_IN_LIST, row_to_record
from paperboard.storage.schema import comments, featured, papers, votes
from paperboard.storage.types import UTCDateTime

# The position after the last paper of a page: (published_at, id). Papers without a date come
# after all dated ones, so a key with ``None`` means "inside the undated tail".
PageKey = tuple[datetime | None, int]


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """A paper with what the API shows besides its metadata."""

    paper: PaperRecord
    paper_id: int
    upvotes: int
    num_comments: int
    # The board entry the API reports (a board's own entry, or the paper's first one);
    # all None for a paper that was never featured.
    featured_day: date | None = None
    featured_at: datetime | None = None
    featured_by: str | None = None
    featured_by_fullname: str | None = None

    @property
    def key(self) -> PageKey:
        return (self.paper.published_at, self.paper_id)


def from_board_entry(entry: BoardEntry) -> ListedPaper:
    return ListedPaper(
        paper=entry.paper,
        paper_id=entry.paper_id,
        upvotes=entry.upvotes,
        num_comments=entry.num_comments,
        featured_day=entry.day,
        featured_at=entry.featured_at,
        featured_by=entry.featured_by,
        featured_by_fullname=entry.featured_by_fullname,
    )


def _first_featured(
    connection: Connection, paper_ids: Sequence[int]
) -> dict[int, tuple[date, datetime, str | None, str | None]]:
    """paper id -> (day, featured_at, by, by_fullname) of its earliest board entry."""
    found: dict[int, tuple[date, datetime, str | None, str | None]] = {}
    for start in range(0, len(paper_ids), MAX_IN_LIST):
        chunk = list(paper_ids[start : start + MAX_IN_LIST])
        query = (
            select(
                featured.c.paper_id,
                featured.c.day,
                featured.c.featured_at,
                featured.c.featured_by,
                featured.c.featured_by_fullname,
            )
            .where(featured.c.paper_id.in_(chunk))
            .order_by(featured.c.day, featured.c.featured_at)
        )
        for paper_id, day, featured_at, by, fullname in connection.execute(query):
            found.setdefault(paper_id, (day, featured_at, by, fullname))
    return found


def _listed(connection: Connection, rows: Sequence[Any]) -> list[ListedPaper]:
    firsts = _first_featured(connection, [row.id for row in rows])
    listed = []
    for row in rows:
        day, featured_at, by, fullname = firsts.get(row.id, (None, None, None, None))
        listed.append(
            ListedPaper(
                paper=row_to_record(row),
                paper_id=row.id,
                upvotes=row.upvotes,
                num_comments=row.num_comments,
                featured_day=day,
                featured_at=featured_at,
                featured_by=by,
                featured_by_fullname=fullname,
            )
        )
    return listed


def newest_page(connection: Connection, after: PageKey | None, limit: int) -> list[ListedPaper]:
    """Up to ``limit`` papers after ``after``: newest published first, ties by id descending,
    papers without a publication date last (by id descending).

    Two queries rather than one ``OR``: each is a plain range scan of an index
    (``published_at`` carries the row id on SQLite), and NULL ordering differs by backend.
    """
    rows: list[Any] = []
    if after is None or after[0] is not None:
        dated = select(papers).where(papers.c.published_at.is_not(None))
        if after is not None:
            moment, last_id = after
            dated = dated.where(
                tuple_(papers.c.published_at, papers.c.id)
                < tuple_(literal(moment, UTCDateTime()), literal(last_id))
            )
        dated = dated.order_by(papers.c.published_at.desc(), papers.c.id.desc()).limit(limit)
        rows.extend(connection.execute(dated).all())
    if len(rows) < limit:
        undated = select(papers).where(papers.c.published_at.is_(None))
        if after is not None and after[0] is None:
            undated = undated.where(papers.c.id < after[1])
        undated = undated.order_by(papers.c.id.desc()).limit(limit - len(rows))
        rows.extend(connection.execute(undated).all())
    return _listed(connection, rows)


def by_arxiv_ids(connection: Connection, arxiv_ids: Sequence[str]) -> list[ListedPaper]:
    """The stored papers among ``arxiv_ids``, in the order given."""
    return _listed(connection, _rows_by_arxiv_id(connection, arxiv_ids))


def by_paper_ids(
    connection: Connection, ids: Sequence[int], *, with_board: bool = True
) -> list[ListedPaper]:
    """The stored papers among ``ids``, in the order given. ``with_board=False`` leaves the
    ``featured_*`` fields None and saves the board-entry query (similar papers show none)."""
    rows: dict[int, Any] = {}
    for start in range(0, len(ids), MAX_IN_LIST):
        chunk = list(ids[start : start + MAX_IN_LIST])
        for row in connection.execute(select(papers).where(papers.c.id.in_(chunk))):
            rows[row.id] = row
    ordered = [rows[i] for i in ids if i in rows]
    if with_board:
        return _listed(connection, ordered)
    return [counted_row(row) for row in ordered]


def counted_row(row: Any) -> ListedPaper:
    """A ``papers`` row as a listed paper with its counters and no board entry."""
    return ListedPaper(row_to_record(row), row.id, row.upvotes, row.num_comments)


def by_arxiv_id(connection: Connection, arxiv_id: str) -> ListedPaper | None:
    found = by_arxiv_ids(connection, [arxiv_id])
    return found[0] if found else None


def counted_paper(connection: Connection, arxiv_id: str) -> ListedPaper | None:
    """The paper with its counters but without its board entry (all ``featured_*`` None):
    one query, for the paper page, which lists every board day itself."""
    rows = _rows_by_arxiv_id(connection, [arxiv_id])
    if not rows:
        return None
    return counted_row(rows[0])


def _rows_by_arxiv_id(connection: Connection, arxiv_ids: Sequence[str]) -> list[Any]:
    rows: dict[str, Any] = {}
    for start in range(0, len(arxiv_ids), MAX_IN_LIST):
        chunk = list(arxiv_ids[start : start + MAX_IN_LIST])
        for row in connection.execute(select(papers).where(papers.c.arxiv_id.in_(chunk))):
            rows[row.arxiv_id] = row
    return [rows[i] for i in arxiv_ids if i in rows]


def data_version(connection: Connection) -> Hashable:
    """A value that changes whenever an ingest, an import, a vote or a comment changes what
    the API and the pages show.

    Index look-ups only, except for the featured table (a few rows per paper at most) and the
    vote count: new or re-imported papers move ``max(modified_at)``/``max(id)``; new board
    entries move the featured count and id; re-imported upvote and comment counts move the
    sums; a vote moves the vote count and (ids are never reused) ``max(id)``; every comment
    change (new, edit, delete, hide) moves ``max(comments.modified_at)``.
    """
    paper_part = connection.execute(select(func.max(papers.c.modified_at), func.max(papers.c.id)))
    featured_part = connection.execute(
        select(
            func.count(),
            func.max(featured.c.id),
            func.coalesce(func.sum(featured.c.imported_upvotes), 0),
            func.coalesce(func.sum(featured.c.imported_comments), 0),
        ).select_from(featured)
    )
    vote_part = connection.execute(select(func.count(), func.max(votes.c.id)).select_from(votes))
    comment_part = connection.execute(
        select(func.count(), func.max(comments.c.modified_at)).select_from(comments)
    )
    return (*paper_part.one(), *featured_part.one(), *vote_part.one(), *comment_part.one())
