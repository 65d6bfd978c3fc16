"""Comments: Markdown rendered and sanitised, one level of replies, edit/delete own, curators
hide; the counters, the pages and the API show what they should and nothing more."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paperboard.community.accounts import Client
from paperboard.community.errors import Forbidden, InvalidInput, NotFound
from paperboard.community.markdown import ALLOWED_TAGS, render_comment
from paperboard.storage import listing
from paperboard.storage.database import Database
from tests.community_site import Site, build_site, comment_id, featured, paper

CLIENT = Client("192.0.2.1")
TODAY = datetime.now(UTC).date()


@pytest.fixture
def site(tmp_path: Path, db: Database) -> Iterator[Site]:
    built = build_site(db, tmp_path / "data")
    built.add(paper("2401.00001"), featured("2401.00001", TODAY, upvotes=1, comments=3))
    yield built
    built.close()


def num_comments(site: Site) -> int:
    with site.db.read() as connection:
        found = listing.by_arxiv_id(connection, "2401.00001")
    assert found is not None
    return found.num_comments


# --- Markdown ----------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](https://tracker.example/pixel.png)",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '[x](https://example.org "title" onmouseover=alert(1))',
    "`<script>`",
]


class _Tags(HTMLParser):
    """Every element and attribute of a piece of HTML, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_renders_inert(text: str) -> None:
    parser = _Tags()
    parser.feed(render_comment(text))
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= {"href", "title", "rel", "start"}, attrs
        href = attrs.get("href")
        if href is not None:
            assert urlsplit(href).scheme in ("http", "https", "mailto"), href


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold** _it_", "<p><strong>bold</strong> <em>it</em></p>\n"),
        (
            "[paper](https://arxiv.org/abs/2401.00001)",
            '<p><a href="https://arxiv.org/abs/2401.00001" rel="nofollow noopener noreferrer ugc">'
            "paper</a></p>\n",
        ),
        ("`x < y`", "<p><code>x &lt; y</code></p>\n"),
        ("~~old~~", "<p><s>old</s></p>\n"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
        ("5 < 6 & 7 > 3", "<p>5 &lt; 6 &amp; 7 &gt; 3</p>\n"),
    ],
)
def test_markdown_renders(text: str, html: str) -> None:
    assert render_comment(text) == html


# --- posting, replying, counting --------------------------------------------------------------


def test_comments_and_one_level_of_replies(site: Site) -> None:
    ada, grace = site.user("ada"), site.user("grace")
    comments = site.community.comments
    top = comments.post(ada, "2401.00001", "First!", client=CLIENT)
    reply = comments.post(grace, "2401.00001", "A reply", parent_id=top.id, client=CLIENT)
    deeper = comments.post(
        ada, "2401.00001", "Reply to the reply", parent_id=reply.id, client=CLIENT
    )
    assert reply.parent_id == top.id
    assert deeper.parent_id == top.id  # flattened to one level
    thread = comments.thread("2401.00001", None)
    assert [c.id for c in thread] == [top.id]
    assert [c.id for c in thread[0].replies] == [reply.id, deeper.id]
    assert num_comments(site) == 3 + 3


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00", "x" * 10_001])
def test_empty_or_huge_comments_are_refused(site: Site, text: str) -> None:
    with pytest.raises(InvalidInput):
        site.community.comments.post(site.user("ada"), "2401.00001", text, client=CLIENT)


# Issue 14, finding 9: an override makes a comment display in another order than it was
# written (U+202E turns "exe.txt" into "txt.exe" on screen).
@pytest.mark.parametrize(
    "control",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_comments_with_bidi_controls_are_refused(site: Site, control: str) -> None:
    ada = site.user("ada")
    with pytest.raises(InvalidInput, match="reorder text"):
        site.community.comments.post(ada, "2401.00001", f"see {control}exe.txt", client=CLIENT)
    kept = site.community.comments.post(ada, "2401.00001", "fine", client=CLIENT)
    with pytest.raises(InvalidInput, match="reorder text"):
        site.community.comments.edit(ada, kept.id, f"see {control}exe.txt")
    # Right-to-left text needs no control character, and is kept as written.
    hebrew = site.community.comments.post(ada, "2401.00001", "שלום \u200fworld", client=CLIENT)
    assert hebrew.body == "שלום \u200fworld"


def test_replies_must_be_on_the_same_paper(site: Site) -> None:
    site.add(paper("2401.00002"))
    ada = site.user("ada")
    top = site.community.comments.post(ada, "2401.00001", "Here", client=CLIENT)
    with pytest.raises(NotFound):
        site.community.comments.post(ada, "2401.00002", "x", parent_id=top.id, client=CLIENT)
    with pytest.raises(NotFound):
        site.community.comments.post(ada, "2401.00001", "x", parent_id=9999, client=CLIENT)
    with pytest.raises(NotFound):
        site.community.comments.post(ada, "2401.99999", "x", client=CLIENT)


def test_edit_and_delete_own_only(site: Site) -> None:
    ada, grace = site.user("ada"), site.user("grace")
    comments = site.community.comments
    mine = comments.post(ada, "2401.00001", "Typo", client=CLIENT)
    with pytest.raises(Forbidden):
        comments.edit(grace, mine.id, "Vandalised")
    with pytest.raises(Forbidden):
        comments.delete(grace, mine.id)
    edited = comments.edit(ada, mine.id, "Fixed")
    assert edited.body == "Fixed" and edited.edited_at is not None
    reply = comments.post(grace, "2401.00001", "Nice", parent_id=mine.id, client=CLIENT)
    comments.delete(ada, mine.id)
    assert num_comments(site) == 3 + 1
    (placeholder,) = comments.thread("2401.00001", None)
    # The deleted comment stays as a placeholder for the reply, without its text.
    assert placeholder.state == "deleted" and placeholder.text == "" and placeholder.html == ""
    assert [r.id for r in placeholder.replies] == [reply.id]
    with pytest.raises(InvalidInput):
        comments.edit(ada, mine.id, "Back from the dead")
    comments.delete(grace, reply.id)
    assert comments.thread("2401.00001", None) == []
    assert num_comments(site) == 3


def test_curators_hide_and_show_comments(site: Site) -> None:
    ada, curator = site.user("ada"), site.user("cora", role="curator")
    comments = site.community.comments
    spam = comments.post(ada, "2401.00001", "Buy pills", client=CLIENT)
    with pytest.raises(Forbidden):
        comments.set_hidden(ada, spam.id, True)
    comments.set_hidden(curator, spam.id, True)
    assert num_comments(site) == 3
    assert comments.thread("2401.00001", None) == []
    assert comments.thread("2401.00001", ada) == []
    (seen,) = comments.thread("2401.00001", curator)
    assert seen.state == "hidden" and seen.text == "Buy pills" and seen.can_hide
    comments.set_hidden(curator, spam.id, False)
    assert num_comments(site) == 4
    assert [c.id for c in comments.thread("2401.00001", None)] == [spam.id]
    admin = site.user("root", role="admin")
    comments.set_hidden(admin, spam.id, True)  # admins can do what curators can
    assert num_comments(site) == 3


# --- the pages ---------------------------------------------------------------------------------


def test_comment_forms_on_the_paper_page(site: Site) -> None:
    ada = site.signed_in("ada")
    grace = site.signed_in("grace")
    curator = site.signed_in("cora", role="curator")
    posted = ada.comment("2401.00001", "Hello <script>alert(1)</script> **world**")
    assert posted.status_code == 303
    first = comment_id(posted)
    assert posted.headers["location"] == f"/papers/2401.00001#comment-{first}"
    replied = grace.comment("2401.00001", "Hi <img src=x onerror=alert(1)>", parent_id=first)
    second = comment_id(replied)
    page = site.visitor().get("/papers/2401.00001").text
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; <strong>world</strong>" in page
    assert "Hi &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert f'id="comment-{second}"' in page
    assert "2 comments" in page and "3 comments on Hugging Face" in page
    # Only the author sees Edit/Delete; only curators see Hide.
    mine = ada.get("/papers/2401.00001").text
    assert f'action="/comments/{first}/delete"' in mine
    assert f'action="/comments/{second}/delete"' not in mine
    assert "/hide" not in mine
    assert f'action="/comments/{second}/hide"' in curator.get("/papers/2401.00001").text
    # Someone else's comment cannot be edited or deleted through the forms either.
    assert grace.get(f"/comments/{first}/edit").status_code == 403
    refused = grace.post_form(f"/comments/{first}/delete")
    assert refused.status_code == 403
    edit_page = ada.get(f"/comments/{first}/edit")
    assert edit_page.status_code == 200 and "**world**" in edit_page.text
    edited = ada.post_form(f"/comments/{first}/edit", {"text": "Edited"})
    assert edited.status_code == 303
    assert "(edited)" in site.visitor().get("/papers/2401.00001").text
    hidden = curator.post_form(f"/comments/{second}/hide", {"hidden": "1"})
    assert hidden.status_code == 303
    assert "Hi &lt;img" not in site.visitor().get("/papers/2401.00001").text
    assert "hidden by a curator" in curator.get("/papers/2401.00001").text


def _comment_stat(page: str) -> str:
    """The paper page's count next to the upvote button (the link to its thread)."""
    found = re.search(r'href="#comments">\s*<svg[^>]*>.*?</svg>\s*([^<]+?)\s*</a>', page, re.S)
    assert found, "no comment count on the page"
    return found.group(1)


def test_counts_are_of_the_thread_shown_and_say_where_the_rest_are(site: Site) -> None:
    """Issue 18: a paper page said "1 comment" over "No comments yet": the comments counted on
    Hugging Face (imported with its board) were shown as comments here."""
    visitor = site.visitor()
    page = visitor.get("/papers/2401.00001").text
    assert "No comments yet." in page
    assert _comment_stat(page) == "0 comments"
    assert "3 comments on Hugging Face" in page
    assert 'href="https://huggingface.co/papers/2401.00001"' in page
    board = visitor.get(f"/papers/date/{TODAY.isoformat()}").text
    assert 'title="0 comments here, 3 on Hugging Face"' in board
    site.signed_in("ada").comment("2401.00001", "The first one here")
    page = visitor.get("/papers/2401.00001").text
    assert "The first one here" in page
    assert _comment_stat(page) == "1 comment"
    assert "3 comments on Hugging Face" in page
    board = visitor.get(f"/papers/date/{TODAY.isoformat()}").text
    assert 'title="1 comment here, 3 on Hugging Face"' in board
    markdown = visitor.get("/papers/2401.00001.md").text
    assert "- Comments: 1 here, 3 on Hugging Face\n" in markdown
    # The Hugging Face-shaped API keeps one total, as Hugging Face's own numComments.
    assert visitor.get("/api/papers/2401.00001").json()["numComments"] == 4
    with site.db.read() as connection:
        found = listing.by_arxiv_id(connection, "2401.00001")
    assert found is not None and (found.num_comments, found.local_comments) == (4, 1)


def test_visitors_are_asked_to_sign_in(site: Site) -> None:
    visitor = site.visitor()
    page = visitor.get("/papers/2401.00001").text
    assert "to comment." in page and 'name="text"' not in page
    response = visitor.post_form("/papers/2401.00001/comments", {"text": "hi"}, page="/login")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# --- the API -----------------------------------------------------------------------------------


def test_comments_api(site: Site) -> None:
    ada = site.user("ada")
    _, token = site.community.tokens.create_for("ada")
    visitor = site.visitor()
    auth = {"Authorization": f"Bearer {token}"}
    posted = visitor.http.post(
        "/api/papers/2401.00001/comments", json={"text": "Via *API*"}, headers=auth
    )
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["text"] == "Via *API*" and body["html"] == "<p>Via <em>API</em></p>\n"
    assert body["author"] == {"name": "ada", "fullname": "ada"}
    reply = visitor.http.post(
        "/api/papers/2401.00001/comments",
        json={"text": "And a reply", "parentId": body["id"]},
        headers=auth,
    )
    assert reply.status_code == 201 and reply.json()["parentId"] == body["id"]
    listed = visitor.get("/api/papers/2401.00001/comments").json()
    assert [c["id"] for c in listed] == [body["id"]]
    assert [r["text"] for r in listed[0]["replies"]] == ["And a reply"]
    assert visitor.get("/api/papers/2401.00001").json()["numComments"] == 5
    edited = visitor.http.patch(f"/api/comments/{body['id']}", json={"text": "New"}, headers=auth)
    assert edited.status_code == 200 and edited.json()["editedAt"] is not None
    gone = visitor.http.delete(f"/api/comments/{body['id']}", headers=auth)
    assert gone.status_code == 200 and gone.json()["state"] == "deleted"
    assert visitor.get("/api/papers/2401.00001").json()["numComments"] == 4
    assert visitor.get("/api/papers/2401.99999/comments").status_code == 404
    too_long = visitor.http.post(
        "/api/papers/2401.00001/comments", json={"text": "x" * 10_001}, headers=auth
    )
    assert too_long.status_code == 422
    del ada
