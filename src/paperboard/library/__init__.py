"""The personal layer: collections, export/import, follows, dismissals, recommendations.

``Library`` wires each service to the community's context (database, clock, limits, keys):
the composition root (runtime.py) builds one per process. Each method is one call of a web
handler, the CLI or the MCP server: they parse, call, render.
"""

from __future__ import annotations

from collections.abc import Callable

from paperboard.community.context import Context
from paperboard.library.collections import Collections
from paperboard.library.exchange import Exchange, keyword_title_lookup
from paperboard.library.follows import Follows
from paperboard.library.recommend import Recommendations
from paperboard.search.service import SearchService


class Library:
    def __init__(
        self, context: Context, *, search: Callable[[], SearchService] | None = None
    ) -> None:
        """``search`` gives the process's search service (opened on first use): imports
        match titles and follows list authors and saved searches with it."""
        self.context = context
        self.collections = Collections(context)
        title_lookup = keyword_title_lookup(search) if search is not None else None
        self.exchange = Exchange(context, self.collections, title_lookup)
        self.follows = Follows(context, search)
        self.recommendations = Recommendations(context)
