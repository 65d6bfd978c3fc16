"""Comments on papers: Markdown, one level of replies, edit/delete own, curators hide.

What a reader sees of a comment that is gone: a deleted (by its author) or hidden (by a
curator) comment shows as a placeholder while replies hang under it, and disappears when
none do. Curators see hidden comments' text, marked hidden, with a button to show them again.
The counters (``num_comments``) count visible comments only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from paperboard.community.accounts import Client, account
from paperboard.community.context import Context
from paperboard.community.errors import Forbidden, InvalidInput, NotFound
from paperboard.community.markdown import MAX_COMMENT_CHARS, clean_comment_text, render_comment
from paperboard.community.votes import canonical_id
from paperboard.domain.bidi import BIDI_CONTROLS_REFUSED, has_bidi_controls
from paperboard.storage import board as board_store
from paperboard.storage import comments as store
from paperboard.storage import papers as paper_store
from paperboard.storage import votes as vote_store
from paperboard.storage.comments import CommentRow
from paperboard.storage.users import User

VISIBLE, DELETED, HIDDEN = "visible", "deleted", "hidden"


@dataclass
class CommentView:
    """A comment as one viewer may see it."""

    id: int
    arxiv_id: str
    parent_id: int | None
    username: str
    author_name: str
    created_at: datetime
    edited_at: datetime | None
    state: str  # visible | deleted | hidden
    text: str  # the Markdown ("" when the viewer may not see it)
    html: str  # sanitised HTML of ``text``
    can_edit: bool = False
    can_delete: bool = False
    can_hide: bool = False  # a curator: hide, or show again when hidden
    can_reply: bool = False
    replies: list[CommentView] = field(default_factory=list)


def _body(text: str) -> str:
    body = clean_comment_text(text)
    if not body:
        raise InvalidInput("A comment needs some text.", field="text")
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"A comment has at most {MAX_COMMENT_CHARS:,} characters.", field="text")
    if has_bidi_controls(body):
        raise InvalidInput(f"A comment {BIDI_CONTROLS_REFUSED}", field="text")
    return body


def _state(row: CommentRow) -> str:
    if row.deleted_at is not None:
        return DELETED
    return HIDDEN if row.hidden_at is not None else VISIBLE


class Comments:
    def __init__(self, context: Context) -> None:
        self.context = context

    # --- writing -------------------------------------------------------------------------------

    def post(
        self,
        user: User,
        arxiv_id: str,
        text: str,
        *,
        parent_id: int | None = None,
        client: Client,
    ) -> CommentRow:
        """A new comment, or a reply to ``parent_id``. A reply to a reply goes under the same
        top-level comment (one level of replies, as on Hugging Face)."""
        arxiv_id = canonical_id(arxiv_id)
        body = _body(text)
        self.context.limiter.hit(
            ("comment_per_account", account(user)), ("comment_per_ip", client.who)
        )
        now = self.context.clock()
        with self.context.db.write() as connection:
            paper_id = paper_store.ids_for(connection, [arxiv_id]).get(arxiv_id)
            if paper_id is None or not vote_store.lock_paper(connection, paper_id):
                raise NotFound(f"paperboard has no paper {arxiv_id}.")
            if parent_id is not None:
                parent = store.get(connection, parent_id)
                if parent is None or parent.paper_id != paper_id:
                    raise NotFound("The comment you replied to is not on this paper.")
                if not parent.visible:
                    raise InvalidInput("That comment was removed; it takes no new replies.")
                parent_id = parent.parent_id or parent.id
            comment_id = store.insert(
                connection,
                paper_id=paper_id,
                user_id=user.id,
                parent_id=parent_id,
                body=body,
                now=now,
            )
            board_store.refresh_counters(connection, [paper_id])
            row = store.get(connection, comment_id)
        assert row is not None
        return row

    def _change(
        self,
        comment_id: int,
        check: Callable[[CommentRow], None],
        apply: Callable[[Connection, CommentRow, datetime], None],
    ) -> CommentRow:
        """Read the comment, let ``check`` refuse, ``apply`` the change, recount: one
        transaction, with the paper's row locked like a new comment's."""
        with self.context.db.write() as connection:
            row = store.get(connection, comment_id)
            if row is None:
                raise NotFound(f"No comment {comment_id}.")
            check(row)
            vote_store.lock_paper(connection, row.paper_id)
            apply(connection, row, self.context.clock())
            board_store.refresh_counters(connection, [row.paper_id])
            changed = store.get(connection, comment_id)
        assert changed is not None
        return changed

    def edit(self, user: User, comment_id: int, text: str) -> CommentRow:
        body = _body(text)

        def check(row: CommentRow) -> None:
            if row.user_id != user.id:
                raise Forbidden("Only its author can edit a comment.")
            if row.deleted_at is not None:
                raise InvalidInput("A deleted comment cannot be edited.")

        return self._change(
            comment_id, check, lambda c, row, now: store.set_body(c, row.id, body, now)
        )

    def delete(self, user: User, comment_id: int) -> CommentRow:
        def check(row: CommentRow) -> None:
            if row.user_id != user.id:
                raise Forbidden("Only its author can delete a comment.")

        return self._change(
            comment_id, check, lambda c, row, now: store.mark_deleted(c, row.id, now)
        )

    def set_hidden(self, user: User, comment_id: int, hidden: bool) -> CommentRow:
        def check(row: CommentRow) -> None:
            if not user.is_curator:
                raise Forbidden("Only curators can hide comments.")

        by = user.username if hidden else None
        return self._change(
            comment_id, check, lambda c, row, now: store.set_hidden(c, row.id, by, now)
        )

    # --- reading -------------------------------------------------------------------------------

    def get(self, comment_id: int) -> CommentRow | None:
        with self.context.db.read() as connection:
            return store.get(connection, comment_id)

    def thread(self, arxiv_id: str, viewer: User | None) -> list[CommentView]:
        """The paper's comments as ``viewer`` (None: anonymous) sees them, oldest first,
        replies under their comment. Raises ``NotFound`` for an unknown paper."""
        arxiv_id = canonical_id(arxiv_id)
        with self.context.db.read() as connection:
            paper_id = paper_store.ids_for(connection, [arxiv_id]).get(arxiv_id)
            if paper_id is None:
                raise NotFound(f"paperboard has no paper {arxiv_id}.")
            rows = store.for_paper(connection, paper_id)
        return build_thread(rows, viewer)

    def by_user(self, user: User, limit: int = 50) -> list[CommentRow]:
        with self.context.db.read() as connection:
            return store.by_user(connection, user.id, limit)


def view_of(row: CommentRow, viewer: User | None) -> CommentView:
    state = _state(row)
    curator = viewer is not None and viewer.is_curator
    own = viewer is not None and viewer.id == row.user_id
    readable = state == VISIBLE or (state == HIDDEN and curator)
    return CommentView(
        id=row.id,
        arxiv_id=row.arxiv_id,
        parent_id=row.parent_id,
        username=row.username,
        author_name=row.author_name,
        created_at=row.created_at,
        edited_at=row.edited_at,
        state=state,
        text=row.body if readable else "",
        html=render_comment(row.body) if readable else "",
        can_edit=own and state != DELETED,
        can_delete=own and state != DELETED,
        can_hide=curator and state != DELETED,
        can_reply=viewer is not None and state == VISIBLE and row.parent_id is None,
    )


def build_thread(rows: list[CommentRow], viewer: User | None) -> list[CommentView]:
    curator = viewer is not None and viewer.is_curator

    def shown(row: CommentRow) -> bool:
        return row.visible or (curator and row.deleted_at is None)

    replies: dict[int, list[CommentView]] = {}
    for row in rows:
        if row.parent_id is not None and shown(row):
            replies.setdefault(row.parent_id, []).append(view_of(row, viewer))
    thread = []
    for row in rows:
        if row.parent_id is not None:
            continue
        under = replies.get(row.id, [])
        if shown(row) or under:  # a removed comment stays as a placeholder for its replies
            view = view_of(row, viewer)
            view.replies = under
            thread.append(view)
    return thread


@dataclass(frozen=True)
class Discussion:
    """What a paper page shows of the community: comments and the upvote history."""

    arxiv_id: str
    paper_id: int
    thread: list[CommentView]
    # (moment, upvotes after it) for each standing local vote, oldest first; the imported
    # count is the floor the local votes add to.
    vote_history: list[tuple[datetime, int]]


def load_discussion(
    context: Context,
    arxiv_id: str,
    viewer: User | None,
    paper_id: int | None = None,
    upvotes: int | None = None,
) -> Discussion | None:
    """``paper_id`` and ``upvotes``: the paper's row id and upvote count when the caller has
    read them already (the paper page), each saving a query."""
    with context.db.read() as connection:
        if paper_id is None:
            paper_id = paper_store.ids_for(connection, [arxiv_id]).get(arxiv_id)
        if paper_id is None:
            return None
        rows = store.for_paper(connection, paper_id)
        times = vote_store.vote_times(connection, paper_id)
        if upvotes is None:
            upvotes = vote_store.paper_upvotes(connection, paper_id)
    floor = upvotes - len(times)
    history = [(moment, floor + number) for number, moment in enumerate(times, start=1)]
    return Discussion(arxiv_id, paper_id, build_thread(rows, viewer), history)
