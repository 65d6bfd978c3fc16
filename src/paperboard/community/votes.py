"""Upvotes: one per user and paper, on and off, exact under concurrency.

Each vote is one write transaction: lock the paper's row, insert or delete the vote (the
unique constraint refuses a second one), recount the paper's counter. The counter feeds every
board and the trending score (boards.trending reads ``papers.upvotes``), so both move with the
vote; the response cache sees the change through ``listing.data_version``.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperboard.community.accounts import Client, account
from paperboard.community.context import Context
from paperboard.community.errors import NotFound
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.storage import board as board_store
from paperboard.storage import papers as paper_store
from paperboard.storage import votes as store
from paperboard.storage.users import User


@dataclass(frozen=True, slots=True)
class VoteState:
    arxiv_id: str
    upvotes: int  # the paper's count after the vote (imported + local)
    upvoted: bool  # whether this user's vote is now there
    changed: bool  # False when the vote was already as asked (a repeated click)


def canonical_id(text: str) -> str:
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId:
        raise NotFound(f"{text[:80]!r} is not an arXiv id.") from None


class Votes:
    def __init__(self, context: Context) -> None:
        self.context = context

    def set_vote(self, user: User, arxiv_id: str, on: bool, *, client: Client) -> VoteState:
        """Upvote (``on``) or withdraw the upvote; asking twice changes nothing."""
        arxiv_id = canonical_id(arxiv_id)
        self.context.limiter.hit(("vote_per_account", account(user)), ("vote_per_ip", client.who))
        with self.context.db.write() as connection:
            paper_id = paper_store.ids_for(connection, [arxiv_id]).get(arxiv_id)
            if paper_id is None or not store.lock_paper(connection, paper_id):
                raise NotFound(f"paperboard has no paper {arxiv_id}.")
            if on:
                changed = store.add(connection, user.id, paper_id, self.context.clock())
            else:
                changed = store.remove(connection, user.id, paper_id)
            if changed:
                board_store.refresh_counters(connection, [paper_id])
            upvotes = store.paper_upvotes(connection, paper_id)
        return VoteState(arxiv_id, upvotes, on, changed)

    def upvote(self, user: User, arxiv_id: str, *, client: Client) -> VoteState:
        return self.set_vote(user, arxiv_id, True, client=client)

    def withdraw(self, user: User, arxiv_id: str, *, client: Client) -> VoteState:
        return self.set_vote(user, arxiv_id, False, client=client)

    def voted_ids(self, user: User) -> set[int]:
        """The ids of every paper the user upvoted (for the buttons on a page of cards)."""
        with self.context.db.read() as connection:
            return store.voted_paper_ids(connection, user.id)
