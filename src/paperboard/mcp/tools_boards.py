"""The board tools: a day's, week's or month's featured papers, and what is trending now.

The same boards (paperboard/boards/) as the pages /papers/date/..., /papers/trending and the
API's /api/daily_papers, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from paperboard import boards
from paperboard.domain.periods import InvalidPeriod, Period, parse_day, parse_month, parse_week
from paperboard.mcp.shapes import (
    BoardPaper,
    BoardPapers,
    PaperCard,
    TrendingPaper,
    TrendingPapers,
    card_fields,
    paper_list,
    result,
)
from paperboard.mcp.tools_read import READ_ONLY
from paperboard.runtime import Runtime
from paperboard.storage.listing import from_board_entry

MAX_BOARD_PAPERS = 100
# The URL segment of each kind of board (/papers/date/2024-06-13, /papers/week/2024-W24).
_SEGMENT = {"day": "date", "week": "week", "month": "month"}


def _period(date: str | None, week: str | None, month: str | None) -> Period | None:
    given = (("date", date), ("week", week), ("month", month))
    present = [(name, value) for name, value in given if value]
    if len(present) > 1:
        raise ToolError("Give at most one of date, week and month.")
    if not present:
        return None
    name, value = present[0]
    parse: Callable[[str], Period] = {"date": parse_day, "week": parse_week, "month": parse_month}[
        name
    ]
    try:
        return parse(value)
    except InvalidPeriod as exc:
        raise ToolError(f"Invalid {name}: {exc}.") from None


def register(server: MCPServer, runtime: Runtime) -> None:
    base_url = runtime.settings.base_url
    db = runtime.db

    @server.tool(annotations=READ_ONLY)
    def daily_papers(
        date: Annotated[str | None, Field(max_length=40, description="A day, YYYY-MM-DD.")] = None,
        week: Annotated[
            str | None, Field(max_length=40, description="An ISO week, YYYY-Www (2024-W24).")
        ] = None,
        month: Annotated[str | None, Field(max_length=40, description="A month, YYYY-MM.")] = None,
        limit: Annotated[
            int, Field(ge=1, le=MAX_BOARD_PAPERS, description="At most this many papers.")
        ] = 30,
    ) -> Annotated[CallToolResult, BoardPapers]:
        """The papers featured on a day, week or month (Hugging Face-style daily papers),
        most upvoted first. Without date, week and month: today's board, or the latest day
        that has one."""
        period = _period(date, week, month)
        if period is None:
            day = boards.home_day(db)
            if day is None:
                raise ToolError("No paper has been featured on this server yet.")
            period = Period("day", day, day)
        board = boards.board(db, period)
        papers = [
            BoardPaper(
                **card_fields(from_board_entry(entry), base_url),
                featured_day=entry.day.isoformat(),
                submitted_by=entry.featured_by,
            )
            for entry in board.entries[:limit]
        ]
        url = f"{base_url}/papers/{_SEGMENT[period.kind]}/{period.key}"
        model = BoardPapers(
            period=period.key,
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            url=url,
            papers=papers,
        )
        shown = f"{len(papers)} of {len(board.entries)}"
        cards: list[PaperCard] = list(papers)
        return result(model, f"Papers of {period.key} ({shown}, {url}):\n\n{paper_list(cards)}")

    @server.tool(annotations=READ_ONLY)
    def trending_papers(
        limit: Annotated[int, Field(ge=1, le=50, description="At most this many papers.")] = 20,
    ) -> Annotated[CallToolResult, TrendingPapers]:
        """Papers featured in the last days, ranked by upvotes decayed by age (the site's
        trending page)."""
        board = boards.trending(db)
        papers = [
            TrendingPaper(
                **card_fields(from_board_entry(ranked.entry), base_url),
                score=round(ranked.score, 4),
                hours_on_board=round(ranked.age_hours, 1),
            )
            for ranked in board.entries[:limit]
        ]
        model = TrendingPapers(reference_time=board.reference_time.isoformat(), papers=papers)
        extras = [f", score {paper.score:.2f}" for paper in papers]
        cards: list[PaperCard] = list(papers)
        return result(model, f"Trending papers:\n\n{paper_list(cards, extras)}")
