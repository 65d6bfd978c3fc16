"""What the personal layer refuses beyond community's errors (those it raises as they are)."""

from __future__ import annotations

from paperboard.community.errors import CommunityError


class Conflict(CommunityError):
    """It exists already: a collection of that title, a paper already in the collection.
    ``slug`` names the collection concerned (Hugging Face's 409 answers carry it)."""

    status_code = 409

    def __init__(self, message: str, slug: str) -> None:
        super().__init__(message)
        self.slug = slug


class TooLarge(CommunityError):
    """An import over a size, entry-count or time limit: nothing was written."""

    status_code = 413
