"""Follows and their feeds: each followed thing's papers (a page, an Atom feed), the merged
personal feed, and the private, revocable token that opens a personal Atom feed.

A followed author's papers come from the keyword search's ``author:`` filter (tantivy or
PostgreSQL), kept only where a name on the paper is the followed name (case aside): the
filter matches words, so "Jane Doe" would also find "Jane Doe-Smith". A saved search is the
search a visitor would run, newest first among its best matches.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from paperboard.community.accounts import account
from paperboard.community.context import Context, digest
from paperboard.community.errors import InvalidInput, NotFound
from paperboard.domain.follows import (
    MAX_FOLLOWS,
    Follow,
    InvalidFollow,
    follow_value,
    same_author,
)
from paperboard.search.results import MAX_LIMIT
from paperboard.search.service import SearchRequest, SearchService
from paperboard.storage import follows as store
from paperboard.storage import listing
from paperboard.storage import users as user_store
from paperboard.storage.listing import ListedPaper
from paperboard.storage.search import Filters, filtered_listing
from paperboard.storage.users import User

FEED_TOKEN_PREFIX = "pbf_"
MAX_FEED_TOKEN_CHARS = 100
FEED_LIMIT = 50
# Each followed thing contributes at most this many of its newest papers to the merged feed.
PER_FOLLOW_IN_FEED = 20


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """A paper of the personal feed and the follows that brought it."""

    listed: ListedPaper
    because: tuple[Follow, ...]


class Follows:
    def __init__(self, context: Context, search: Callable[[], SearchService] | None) -> None:
        self.context = context
        self.search = search

    # --- following ----------------------------------------------------------------------
    def follow(self, user: User, kind: str, value: str) -> Follow:
        """Follow (asking twice returns the same follow). A user must exist."""
        try:
            cleaned = follow_value(kind, value)
        except InvalidFollow as exc:
            raise InvalidInput(str(exc), "value") from None
        self.context.limiter.hit(("library_per_account", account(user)))
        with self.context.db.write() as connection:
            if kind == "user" and user_store.by_username(connection, cleaned) is None:
                raise NotFound(f"No account {cleaned!r}.")
            if store.count_of(connection, user.id) >= MAX_FOLLOWS:
                raise InvalidInput(f"You follow {MAX_FOLLOWS} things already.")
            return store.add(connection, user.id, kind, cleaned, self.context.clock())

    def follows_of(self, user: User) -> list[Follow]:
        with self.context.db.read() as connection:
            return store.follows_of(connection, user.id)

    def unfollow(self, user: User, follow_id: int) -> None:
        with self.context.db.write() as connection:
            if not store.remove(connection, user.id, follow_id):
                raise NotFound(f"No follow {follow_id}.")

    # --- feeds --------------------------------------------------------------------------
    def papers_for(self, kind: str, value: str, limit: int = FEED_LIMIT) -> list[ListedPaper]:
        """A followed thing's papers, newest first: what its page and Atom feed show."""
        try:
            cleaned = follow_value(kind, value)
        except InvalidFollow as exc:
            raise InvalidInput(str(exc), "value") from None
        limit = max(1, min(limit, MAX_LIMIT))
        if kind == "author":
            return self._author_papers(cleaned, limit)
        if kind == "search":
            return self._searched(SearchRequest(cleaned, sort="newest", per_page=limit))
        with self.context.db.read() as connection:
            if kind == "category":
                ids = [
                    c.id for c in filtered_listing(connection, Filters((cleaned,)), "newest", limit)
                ]
                return listing.by_paper_ids(connection, ids)
            arxiv_ids = store.public_upvotes(connection, cleaned, limit)
            return listing.by_arxiv_ids(connection, arxiv_ids)

    def _author_papers(self, name: str, limit: int) -> list[ListedPaper]:
        quoted = name.replace('"', " ")
        # Deeper than ``limit``: namesakes by words ("Jane Doe-Smith") are filtered out after.
        request = SearchRequest(f'author:"{quoted}"', sort="newest", per_page=MAX_LIMIT)
        found = self._searched(request)
        return [
            listed
            for listed in found
            if any(same_author(name, author) for author in listed.paper.authors)
        ][:limit]

    def _searched(self, request: SearchRequest) -> list[ListedPaper]:
        if self.search is None:
            return []
        page = self.search().search(request)
        with self.context.db.read() as connection:
            return listing.by_paper_ids(connection, [hit.paper_id for hit in page.hits])

    def feed(self, user: User, limit: int = FEED_LIMIT) -> list[FeedEntry]:
        """Everything the user follows, merged: newest first, each paper once, with the
        follows that brought it (the personal Atom feed and the "following" page)."""
        merged: dict[int, tuple[ListedPaper, list[Follow]]] = {}
        for followed in self.follows_of(user):
            for listed in self.papers_for(followed.kind, followed.value, PER_FOLLOW_IN_FEED):
                entry = merged.setdefault(listed.paper_id, (listed, []))
                entry[1].append(followed)

        def newest(pair: tuple[ListedPaper, list[Follow]]) -> tuple[float, int]:
            moment = pair[0].paper.published_at
            return (moment.timestamp() if moment else 0.0, pair[0].paper_id)

        ordered = sorted(merged.values(), key=newest, reverse=True)[: max(1, limit)]
        return [FeedEntry(listed, tuple(follows)) for listed, follows in ordered]

    # --- the private feed token ---------------------------------------------------------
    def new_feed_token(self, user: User) -> str:
        """A new private feed token (shown once); the previous one stops working."""
        token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.context.db.write() as connection:
            store.set_feed_token(connection, user.id, digest(token), self.context.clock())
        return token

    def revoke_feed_token(self, user: User) -> bool:
        with self.context.db.write() as connection:
            return store.delete_feed_token(connection, user.id)

    def user_for_feed_token(self, token: str) -> User | None:
        """The active owner of a feed token; None for anything else."""
        if not token.startswith(FEED_TOKEN_PREFIX) or len(token) > MAX_FEED_TOKEN_CHARS:
            return None
        with self.context.db.read() as connection:
            user = store.user_for_feed_token(connection, digest(token))
        return user if user is not None and user.is_active else None
