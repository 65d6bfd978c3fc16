"""Digest building, pure: topic matching, selection in board order, periods, the schedule,
and the messages (both parts, the list headers, no external resources), parsed back with the
standard library."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from html import unescape

import pytest

from paperboard.domain.addresses import InvalidAddress, normalize_address
from paperboard.domain.paper import PaperRecord
from paperboard.domain.periods import parse_day, parse_week
from paperboard.domain.ranking import rank_board
from paperboard.domain.topics import (
    InvalidTopics,
    Topics,
    normalize_category,
    parse_keywords,
    parse_topics,
    topics_from_terms,
)
from paperboard.jobs.digests import DueDigest, Schedule, due_digests, latest_slot
from paperboard.mail.compose import Composer
from paperboard.mail.digest import (
    ABSTRACT_START_CHARS,
    DIGEST_SIZE,
    DigestPaper,
    KeywordTopicMatcher,
    PeriodDigest,
    content_words,
    cut,
    digest_paper,
    flatten,
    last_complete_week,
    period_for_date,
)
from paperboard.mail.message import (
    HeaderInjection,
    build_message,
    encode_html,
    header_line,
    seven_bit_html,
)
from paperboard.mail.render import MailRenderer, Recipient, period_heading
from paperboard.storage.board import BoardEntry
from tests.digest_helpers import BASE_URL, NOW, mail_config, parse, parts

DAY = parse_day("2024-06-13")


def paper(
    n: int, title: str, categories: tuple[str, ...] = ("cs.LG",), abstract: str = ""
) -> DigestPaper:
    return DigestPaper(
        arxiv_id=f"2406.{n:05d}",
        title=title,
        authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
        abstract=abstract or f"Abstract of {title}.",
        categories=categories,
        upvotes=100 - n,
        num_comments=n % 3,
        code_url="https://github.com/example/repo" if n == 0 else None,
    )


PAPERS = [
    paper(0, "Diffusion Transformers at scale", ("cs.CV", "cs.LG")),
    paper(1, "Reinforcement learning from human feedback", ("cs.LG",), "We study RLHF."),
    paper(2, "Efficient inference for large language models", ("cs.CL",), "Serving LLMs fast."),
    paper(3, "A survey of transformers", ("cs.CL", "cs.AI")),
    paper(4, "Galaxy rotation curves", ("astro-ph.GA",)),
    paper(5, "Control of robots", ("cs.RO",), "A controller for RL-free robots."),
    paper(6, "Quantized LLM serving", ("cs.LG",), "An inference engine that is efficient."),
]


def selected(topics: Topics, size: int = DIGEST_SIZE) -> list[int]:
    digest = PeriodDigest("daily", DAY, PAPERS, KeywordTopicMatcher(), size)
    return list(digest.select(topics))


# --- topic matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        (Topics(), [0, 1, 2, 3, 4, 5, 6]),
        (Topics(categories=("cs.CL",)), [2, 3]),
        # Any listed category counts, not only the primary one.
        (Topics(categories=("cs.LG",)), [0, 1, 6]),
        # An archive on its own follows all its categories.
        (Topics(categories=("astro-ph",)), [4]),
        (Topics(categories=("cs.CL", "cs.CV")), [0, 2, 3]),
        # Keywords: whole words or phrases, case-insensitive, plurals allowed.
        (Topics(keywords=("transformer",)), [0, 3]),
        (Topics(keywords=("large language model",)), [2]),
        # "rl" does not find "control" nor "RLHF"; it does find "RL-free".
        (Topics(keywords=("rl",)), [5]),
        (Topics(keywords=("quantum",)), []),
        # Topics of different kinds add up (a paper matches any of them).
        (Topics(categories=("astro-ph.GA",), keywords=("rlhf",)), [1, 4]),
        # The interest, approximated by content words (half of them must appear).
        (Topics(interest="efficient inference for LLMs"), [2, 6]),
        (Topics(interest="galaxies"), [4]),
    ],
)
def test_topic_matching(topics: Topics, expected: list[int]) -> None:
    assert selected(topics) == expected


def test_selection_keeps_board_order_and_size() -> None:
    assert selected(Topics(), size=3) == [0, 1, 2]
    assert selected(Topics(categories=("cs.LG", "cs.CL")), size=2) == [0, 1]


def test_selection_uses_the_board_ranking() -> None:
    """The digest keeps the order it is given; load_period gives it rank_board's order."""

    class Entry:
        def __init__(self, upvotes: int, day: int) -> None:
            self.upvotes = upvotes
            self.featured_at = datetime(2024, 6, day, tzinfo=UTC)
            self.published_at = datetime(2024, 6, day, tzinfo=UTC)

    entries = [Entry(5, 1), Entry(9, 2), Entry(5, 3)]
    ranked = rank_board(entries)
    assert [(e.upvotes, e.published_at.day) for e in ranked] == [(9, 2), (5, 3), (5, 1)]


def test_empty_period() -> None:
    digest = PeriodDigest("daily", DAY, [])
    assert digest.is_empty
    assert digest.select(Topics()) == ()


def test_selection_is_cached_per_topic_set() -> None:
    digest = PeriodDigest("daily", DAY, PAPERS)
    first = digest.select(Topics(keywords=("transformer",)))
    assert digest.select(Topics(keywords=("transformer",))) is first


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("efficient inference for LLMs", ("efficient", "inference", "llm")),
        (
            "The state of the art in graph neural networks",
            ("state", "art", "graph", "neural", "network"),
        ),
        ("for the of", ()),
    ],
)
def test_content_words(text: str, words: tuple[str, ...]) -> None:
    assert content_words(text) == words


# --- topics as subscribers type them -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("cs.cl", "cs.CL"),
        ("CS.LG", "cs.LG"),
        ("math.ag", "math.AG"),
        ("astro-ph.ga", "astro-ph.GA"),
        ("cond-mat.Mes-Hall", "cond-mat.mes-hall"),
        ("physics.Optics", "physics.optics"),
        ("hep-th", "hep-th"),
        ("Quant-Ph", "quant-ph"),
        ("math", "math"),
    ],
)
def test_category_normalisation(typed: str, stored: str) -> None:
    assert normalize_category(typed) == stored


@pytest.mark.parametrize("typed", ["llama.cpp", "cs", "cs.", "foo.BAR", "cs.CL; drop", "<b>"])
def test_not_a_category(typed: str) -> None:
    if typed == "cs":
        assert normalize_category(typed) == "cs"  # an archive is allowed
        return
    with pytest.raises(InvalidTopics):
        normalize_category(typed)


def test_parse_topics() -> None:
    topics = parse_topics(
        ["cs.CL cs.lg", "cs.CL"], ["Diffusion,  RAG ;\nDiffusion"], "  LLM   agents "
    )
    assert topics == Topics(("cs.CL", "cs.LG"), ("diffusion", "rag"), "LLM agents")
    assert (
        topics.describe()
        == "categories cs.CL, cs.LG; keywords “diffusion”, “rag”; interest “LLM agents”"
    )
    assert Topics().describe() == "all topics"
    assert parse_topics(interest="   ").interest is None


def test_topics_from_a_flat_list() -> None:
    assert topics_from_terms(["cs.CL", "llama.cpp", "hep-th", "diffusion"]) == Topics(
        ("cs.CL", "hep-th"), ("llama.cpp", "diffusion")
    )


@pytest.mark.parametrize("keywords", [["x"], ["a" * 61], [",".join(f"k{n}" for n in range(21))]])
def test_keyword_limits(keywords: list[str]) -> None:
    with pytest.raises(InvalidTopics):
        parse_keywords(keywords)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ada@Example.org", "ada@example.org"),
        ("  grace.hopper+digest@navy.mil ", "grace.hopper+digest@navy.mil"),
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_address_normalisation(typed: str, stored: str) -> None:
    assert normalize_address(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ada",
        "ada@",
        "@example.org",
        "ada@localhost",
        "ada@example",
        "a..b@example.org",
        ".ada@example.org",
        "ada@-example.org",
        "ada@example.org\r\nBcc: victim@example.org",
        "ada@exämple.org",
        "ädä@example.org",
        '"quoted"@example.org',
        "a@b@example.org",
        "x" * 65 + "@example.org",
    ],
)
def test_not_an_address(typed: str) -> None:
    with pytest.raises(InvalidAddress):
        normalize_address(typed)


# --- text helpers ------------------------------------------------------------------------------


def test_flatten_and_cut() -> None:
    # The pages' plain text: accents and math symbols resolved, on one line.
    assert (
        flatten("Sch\\\"odinger's $\\alpha$-\n  stable   laws, $x^2$ in 40\\%")
        == "Schödinger's α- stable laws, x² in 40%"
    )
    assert cut("short", 10) == "short"
    long = "word " * 100
    cut_text = cut(long, ABSTRACT_START_CHARS)
    assert len(cut_text) <= ABSTRACT_START_CHARS and cut_text.endswith("word…")


def test_authors_line() -> None:
    assert PAPERS[0].authors_line == "Ada Lovelace, Alan Turing, Grace Hopper and 1 other"


def test_a_digest_counts_the_comments_its_link_leads_to() -> None:
    """Issue 18: the count imported from Hugging Face is no comment on the paper page."""
    record = PaperRecord(arxiv_id="2406.00001", title="T", abstract="A.", authors=[], categories=[])
    entry = BoardEntry(
        paper=record,
        paper_id=1,
        day=DAY.start,
        featured_at=datetime(2024, 6, 13, 9, tzinfo=UTC),
        featured_by=None,
        featured_by_fullname=None,
        source="huggingface",
        upvotes=9,
        num_comments=4,
        local_comments=1,
    )
    assert digest_paper(entry).num_comments == 1


# --- periods and the schedule ------------------------------------------------------------------


def test_periods() -> None:
    assert period_for_date("daily", date(2024, 6, 13)) == DAY
    assert period_for_date("weekly", date(2024, 6, 13)) == parse_week("2024-W24")
    # Sent on Monday June 17 (or any day of week 25): week 24.
    assert last_complete_week(date(2024, 6, 17)) == parse_week("2024-W24")
    assert last_complete_week(date(2024, 6, 23)) == parse_week("2024-W24")
    assert last_complete_week(date(2024, 6, 24)) == parse_week("2024-W25")
    assert last_complete_week(date(2025, 1, 1)) == parse_week("2024-W52")


MONDAY_7 = Schedule(time(7, 0), 0)


@pytest.mark.parametrize(
    ("now", "last", "expected"),
    [
        # Before 07:00 on Thursday: yesterday's slot, already sent.
        ("2024-06-13T06:59", {"daily": "2024-06-12", "weekly": "2024-06-10"}, []),
        # 07:00 on Thursday: today's daily.
        (
            "2024-06-13T07:00",
            {"daily": "2024-06-12", "weekly": "2024-06-10"},
            [DueDigest("daily", date(2024, 6, 13))],
        ),
        ("2024-06-13T23:00", {"daily": "2024-06-13", "weekly": "2024-06-10"}, []),
        # Monday 07:05: both.
        (
            "2024-06-17T07:05",
            {"daily": "2024-06-16", "weekly": "2024-06-10"},
            [DueDigest("daily", date(2024, 6, 17)), DueDigest("weekly", date(2024, 6, 17))],
        ),
        # The worker was down over Monday: Tuesday sends the missed weekly, and only the
        # latest daily.
        (
            "2024-06-18T09:00",
            {"daily": "2024-06-14", "weekly": "2024-06-10"},
            [DueDigest("daily", date(2024, 6, 18)), DueDigest("weekly", date(2024, 6, 17))],
        ),
        # A new installation sends the latest slots.
        (
            "2024-06-13T08:00",
            {},
            [DueDigest("daily", date(2024, 6, 13)), DueDigest("weekly", date(2024, 6, 10))],
        ),
    ],
)
def test_due_digests(now: str, last: dict[str, str], expected: list[DueDigest]) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    slots = {key: date.fromisoformat(value) for key, value in last.items()}
    assert due_digests(moment, MONDAY_7, slots) == expected


def test_latest_slot_for_another_weekday_and_time() -> None:
    friday_18 = Schedule(time(18, 30), 4)
    moment = datetime(2024, 6, 14, 18, 29, tzinfo=UTC)  # a Friday, a minute early
    assert latest_slot("weekly", moment, friday_18) == date(2024, 6, 7)
    assert latest_slot("daily", moment, friday_18) == date(2024, 6, 13)


# --- rendering and messages --------------------------------------------------------------------


def composed(topics: Topics = Topics(), subscriber_id: int = 7, email: str = "ada@example.org"):  # type: ignore[no-untyped-def]
    digest = PeriodDigest("daily", DAY, PAPERS)
    composer = Composer(mail_config())
    message = composer.digest(
        digest,
        digest.select(topics),
        subscriber_id=subscriber_id,
        email=email,
        topics=topics,
        now=NOW,
    )
    return digest, composer, message


def test_digest_message_parts_and_headers() -> None:
    _, _, message = composed(Topics(categories=("cs.CL",)))
    parsed = parse(message.data)
    assert parsed["From"] == "paperboard <digest@example.org>"
    assert parsed["To"] == "ada@example.org"
    assert parsed["Subject"] == (
        "paperboard daily · Jun 13: Efficient inference for large language models (+1 more)"
    )
    assert parsed["Message-ID"] == "<digest.daily.2024-06-13.7@example.org>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    https, mailto = re.findall(r"<([^>]+)>", parsed["List-Unsubscribe"])
    assert https.startswith(f"{BASE_URL}/unsubscribe?token=7.0.")
    assert mailto.startswith("mailto:digest@example.org?subject=unsubscribe%207.0.")
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parts(parsed)
    # Two cs.CL papers, in board order, with their links.
    assert text.index("Efficient inference") < text.index("A survey of transformers")
    assert "Galaxy" not in text and "Galaxy" not in html
    for link in (
        f"{BASE_URL}/papers/2406.00002",
        "https://arxiv.org/abs/2406.00002",
        "https://arxiv.org/pdf/2406.00002",
    ):
        assert link in text and f'href="{link}"' in html
    # The footer says why, and how to leave.
    for part in (text, html):
        assert "because ada@example.org subscribed to the daily digest" in part
        assert "Topics: categories cs.CL." in part
        assert https in part.replace("&amp;", "&")
        assert "/subscription/manage?token=7.0." in part


def _layout_free(html: str) -> str:
    """HTML with character references resolved and the whitespace that cannot change its
    rendering taken out."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", unescape(html))).strip()


def test_parts_arrive_as_rendered() -> None:
    digest, composer, message = composed(Topics(keywords=("transformer",)))
    parsed = parse(message.data)
    text, html = parts(parsed)
    rendered = composer.renderer.digest(
        digest,
        digest.select(Topics(keywords=("transformer",))),
        Recipient(
            "ada@example.org",
            "keywords “transformer”",
            re.search(r'href="([^"]*unsubscribe\?token=[^"]*)"', html)[1],  # type: ignore[index]
            re.search(r'href="([^"]*manage\?token=[^"]*)"', html)[1],  # type: ignore[index]
        ),
    )
    # The text part byte for byte; the HTML but for whitespace between tags and line breaks
    # (it travels as 7bit with long lines: message.seven_bit_html).
    assert text == rendered.text
    assert _layout_free(html) == _layout_free(rendered.html)
    html_part = parsed.get_body(("html",))
    assert html_part is not None and html_part["Content-Transfer-Encoding"] == "7bit"
    raw_html = message.data.split(b"Content-Transfer-Encoding: 7bit\r\n\r\n")[1]
    assert all(len(line) <= 998 for line in raw_html.split(b"\r\n"))
    assert raw_html.count(b"\r\n") < 40  # a few long lines, not hundreds of short ones


def test_seven_bit_html() -> None:
    html = "<p style=\"font-family: 'Segoe UI'\">Schrödinger</p>\n  <p>a\n b</p>\n"
    assert seven_bit_html(html) == (
        b"<p style=\"font-family: 'Segoe UI'\">Schr&#246;dinger</p> <p>a b</p>\r\n"
    )
    long = "<p>word</p> " * 300
    folded = seven_bit_html(long)
    assert folded is not None
    assert all(0 < len(line) <= 900 for line in folded.split(b"\r\n")[:-1])
    assert _layout_free(folded.decode()) == _layout_free(long)
    # Nowhere to fold safely (one huge attribute): quoted-printable instead.
    unbreakable = f'<a href="https://example.org/{"x" * 2000}">x</a>'
    assert seven_bit_html(unbreakable) is None
    assert encode_html(unbreakable).encoding == "quoted-printable"


def test_html_has_no_external_resources_or_trackers() -> None:
    _, _, message = composed()
    _, html = parts(parse(message.data))
    assert "<img" not in html.lower()
    assert not re.search(r"""\bsrc\s*=""", html, re.IGNORECASE)
    assert "<link" not in html.lower() and "<script" not in html.lower()
    assert "url(" not in html
    # Every link goes where it says: the site, arXiv, or the paper's own code link.
    hosts = {re.match(r"https?://([^/]+)", href)[1] for href in re.findall(r'href="([^"]+)"', html)}  # type: ignore[index]
    assert hosts == {"papers.example.org", "arxiv.org", "github.com"}


def test_html_escapes_imported_text() -> None:
    hostile = paper(0, "<script>alert(1)</script> & friends", abstract="<img src=x onerror=1>")
    hostile_code = (
        DigestPaper(**{**hostile.__dict__, "code_url": None})
        if hasattr(hostile, "__dict__")
        else hostile
    )
    digest = PeriodDigest("daily", DAY, [hostile_code])
    message = Composer(mail_config()).digest(
        digest, digest.select(Topics()), subscriber_id=1, email="a@example.org", topics=Topics()
    )
    text, html = parts(parse(message.data))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert "<script>alert(1)</script> & friends" in text


def test_non_ascii_subject_and_long_headers() -> None:
    digest = PeriodDigest(
        "weekly", parse_week("2024-W24"), [paper(0, "Schrödinger’s equation — revisited " * 3)]
    )
    message = Composer(mail_config()).digest(
        digest, digest.select(Topics()), subscriber_id=3, email="a@example.org", topics=Topics()
    )
    assert message.data.isascii()
    head = message.data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    parsed = parse(message.data)
    assert parsed["Subject"].startswith("paperboard weekly · week 24: Schrödinger’s equation")


def test_header_injection_is_refused() -> None:
    with pytest.raises(HeaderInjection):
        header_line("Subject", "hello\r\nBcc: victim@example.org")
    with pytest.raises(HeaderInjection):
        build_message(
            from_header="a@example.org",
            to="b@example.org\nBcc: c@example.org",
            subject="x",
            text="x",
            html="x",
            message_id="<x@example.org>",
            date=NOW,
        )


def test_period_headings() -> None:
    assert period_heading(DAY) == "Top papers of Thursday, June 13, 2024"
    assert period_heading(parse_week("2024-W24")) == "Top papers of week 24, 2024 (Jun 10 – Jun 16)"


def test_confirmation_message() -> None:
    composer = Composer(mail_config())
    message = composer.confirmation(
        subscriber_id=5, email="ada@example.org", frequency="weekly", topics=Topics(), now=NOW
    )
    parsed = parse(message.data)
    assert parsed["Subject"] == "Confirm your paperboard weekly digest"
    assert parsed["List-Unsubscribe"] is None  # not a list mail
    text, html = parts(parsed)
    (link,) = {w for w in text.split() if "/subscribe/confirm?token=" in w}
    assert link.startswith(f"{BASE_URL}/subscribe/confirm?token=5.")
    assert f'href="{link}"' in html
    assert "June 21, 2024" in text  # seven days later


def test_renderer_reuses_rendered_papers() -> None:
    renderer = MailRenderer(BASE_URL)
    digest = PeriodDigest("daily", DAY, PAPERS)
    selection = digest.select(Topics())
    one = renderer.digest(digest, selection, Recipient("a@example.org", "all topics", "u", "m"))
    two = renderer.digest(digest, selection, Recipient("b@example.org", "all topics", "u2", "m2"))
    assert len(renderer._shells) == 1
    assert (
        one.html.replace("a@example.org", "b@example.org")
        .replace('"u"', '"u2"')
        .replace('"m"', '"m2"')
        == two.html
    )
