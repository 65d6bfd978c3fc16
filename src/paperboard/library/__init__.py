"""The personal layer: collections, export/import, follows, dismissals, recommendations.

``Library`` wires each service to the community's context (database, clock, limits, keys):
the composition root (runtime.py) builds one per process.
"""

from __future__ import annotations

from paperboard.community.context import Context
from paperboard.library.collections import Collections


class Library:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.collections = Collections(context)
