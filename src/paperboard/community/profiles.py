"""What a profile page (/u/{username}) shows: submitted papers, upvoted papers if the user
lets them be public, and visible comments."""

from __future__ import annotations

from dataclasses import dataclass

from paperboard.community.accounts import USERNAME
from paperboard.community.context import Context
from paperboard.community.errors import NotFound
from paperboard.storage import comments as comment_store
from paperboard.storage import listing
from paperboard.storage import submissions as submission_store
from paperboard.storage import users as user_store
from paperboard.storage import votes as vote_store
from paperboard.storage.comments import CommentRow
from paperboard.storage.listing import ListedPaper
from paperboard.storage.users import User

SHOWN = 50  # of each list; a profile is a summary, not an archive


@dataclass(frozen=True)
class Profile:
    user: User
    submitted: list[ListedPaper]
    upvoted: list[ListedPaper] | None  # None: the user keeps upvotes private
    comments: list[CommentRow]


def load_profile(context: Context, username: str, viewer: User | None) -> Profile:
    if not USERNAME.fullmatch(username):
        # No account has such a name (sign-up checks it); asking the database anyway failed
        # on PostgreSQL for a name with a NUL in it (a 500 for /u/%00).
        raise NotFound(f"There is no user {username[:40]!r} here.")
    with context.db.read() as connection:
        user = user_store.by_username(connection, username)
        if user is None or not user.is_active:
            raise NotFound(f"There is no user {username[:40]!r} here.")
        submitted_ids = submission_store.submitted_arxiv_ids(connection, user.username, SHOWN)
        submitted = listing.by_arxiv_ids(connection, submitted_ids)
        upvoted = None
        # Upvotes are public by default (as on Hugging Face); the owner always sees theirs.
        if user.votes_public or (viewer is not None and viewer.id == user.id):
            voted_ids = vote_store.voted_arxiv_ids(connection, user.id, SHOWN)
            upvoted = listing.by_arxiv_ids(connection, voted_ids)
        comments = comment_store.by_user(connection, user.id, SHOWN)
    return Profile(user, submitted, upvoted, comments)
