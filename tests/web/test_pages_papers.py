"""The web app's first pages (newest papers, paper page, health, error pages) and its helpers.

Boards, trending and the paper page's board extras are in tests/web/test_pages_boards.py."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperboard.domain.paper import PaperRecord
from paperboard.ingest.loader import load
from paperboard.storage.database import Database
from paperboard.web.errors import PageError
from paperboard.web.pagination import MAX_PAGE, PER_PAGE, Pager, parse_page
from paperboard.web.render.format import (
    authors_summary,
    doi_url,
    excerpt,
    format_date,
    safe_url,
    url_label,
)
from tests.app_factory import Site, build_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    db = Database(f"sqlite:///{tmp_path}/t.db")
    # Pages render afresh on every request (tests/web/test_pages_boards.py covers the response
    # cache); site.client sees the 500 page a visitor would get, not the exception.
    with build_site(db, tmp_path) as built:
        yield built
    db.dispose()


def paper(arxiv_id: str = "2401.01234", **fields: object) -> PaperRecord:
    values: dict[str, object] = {
        "title": f"Paper {arxiv_id}",
        "abstract": "We study things.\nThey are interesting.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "cs.AI"],
        "published_at": datetime(2023, 9, 28, 12, 0, tzinfo=UTC),
    }
    values.update(fields)
    return PaperRecord(arxiv_id=arxiv_id, **values)  # type: ignore[arg-type]


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]*)</a>', html)


# --- the newest-papers page -------------------------------------------------------------------


def test_empty_store_explains_how_to_load_papers(site: Site) -> None:
    response = site.client.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    html = response.text
    assert "No papers yet" in html
    assert "paperboard ingest path/to/arxiv-metadata-oai-snapshot.json" in html
    assert "paperboard ingest arxiv:cs.LG" in html
    assert "paperboard ingest hf-daily:YYYY-MM-DD" in html
    assert 'class="card"' not in html
    assert 'rel="next"' not in html


def test_empty_home_page_is_the_daily_section(site: Site) -> None:
    """Issue 18: the empty home page said "New papers" while the nav highlighted "Daily"."""
    html = site.client.get("/").text
    current = re.findall(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>', html)
    assert current == [("/", "Daily")]
    heading = re.search(r"<h1>([^<]*)</h1>", html)
    assert heading and heading.group(1) == "No papers yet"
    assert '<p class="eyebrow">Daily Papers</p>' in html
    assert re.search(r"<title>Daily Papers · paperboard</title>", html)
    assert "New papers" not in html.split("<main", 1)[1]  # (the new-papers feed keeps its name)
    # /papers/new itself stays "New papers", in the New section.
    new = site.client.get("/papers/new").text
    assert "<h1>New papers</h1>" in new and 'href="/papers/new" aria-current="page"' in new


def test_newest_first_with_card_contents(site: Site) -> None:
    this_year = datetime.now(UTC).year
    site.add(
        paper(
            "2309.00001",
            title="Older paper",
            published_at=datetime(2023, 9, 28, tzinfo=UTC),
            authors=["A One", "B Two", "C Three", "D Four", "E Five"],
            categories=["stat.ML", "cs.LG"],
            code_urls=["https://github.com/owner/repo"],
        ),
        paper(
            "2401.00002",
            title="Newest paper",
            published_at=datetime(this_year, 1, 22, 9, 30, tzinfo=UTC),
            authors=["Solo Author"],
        ),
        paper("2312.00003", title="Middle paper", published_at=datetime(2023, 12, 1, tzinfo=UTC)),
    )
    html = site.client.get("/").text
    assert card_titles(html) == ["Newest paper", "Middle paper", "Older paper"]
    assert '<a href="/papers/2309.00001">Older paper</a>' in html
    # Year left out for this year, shown otherwise.
    assert ">Jan 22</time>" in html
    assert ">Sep 28, 2023</time>" in html
    # "N authors" and the first three names only.
    assert "5 authors" in html
    assert "A One, B Two, C Three, …" in html
    assert "D Four" not in html
    assert "1 author<" in html
    # Primary category first and marked; the code link only where there is code.
    older = html[html.index("Older paper") :]
    assert older.index("stat.ML") < older.index("cs.LG")
    assert '<span class="chip chip-primary">stat.ML</span>' in html
    assert html.count('class="code-link"') == 1
    assert 'href="https://github.com/owner/repo"' in html


def test_card_abstract_is_reflowed_and_cut(site: Site) -> None:
    long_abstract = "\n".join(["This sentence is wrapped by arXiv at eighty columns."] * 20)
    site.add(paper(abstract=long_abstract))
    html = site.client.get("/").text
    shown = re.search(r'<p class="card-abstract">([^<]*)</p>', html)
    assert shown is not None
    text = shown.group(1)
    assert "\n" not in text
    assert text.startswith("This sentence is wrapped by arXiv at eighty columns. This sentence")
    assert text.endswith("…")
    assert len(text) <= 301


def test_pagination(site: Site) -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    total = 2 * PER_PAGE + 5
    site.add(
        *(
            paper(
                f"2403.{n:05d}", title=f"Paper number {n}", published_at=start + timedelta(hours=n)
            )
            for n in range(1, total + 1)
        )
    )
    first = site.client.get("/papers/new").text
    titles = card_titles(first)
    assert len(titles) == PER_PAGE
    assert titles[0] == f"Paper number {total}"
    assert 'rel="next" href="/papers/new?page=2"' in first
    assert 'rel="prev"' not in first

    second = site.client.get("/papers/new?page=2").text
    assert card_titles(second)[0] == f"Paper number {total - PER_PAGE}"
    assert 'rel="prev" href="/papers/new"' in second
    assert 'rel="next" href="/papers/new?page=3"' in second

    last = site.client.get("/papers/new?page=3")
    assert last.status_code == 200
    assert card_titles(last.text) == [f"Paper number {n}" for n in range(5, 0, -1)]
    assert 'rel="next"' not in last.text
    assert 'rel="prev" href="/papers/new?page=2"' in last.text

    beyond = site.client.get("/papers/new?page=4")
    assert beyond.status_code == 404
    assert "There is no page 4" in beyond.text

    # The home page (nothing featured yet) shows the first page and continues on /papers/new.
    home = site.client.get("/").text
    assert card_titles(home) == titles
    assert 'href="/papers/new?page=2"' in home


@pytest.mark.parametrize(
    "raw", ["0", "-1", "abc", "1.5", "1e3", " ", "٣", "99999999999999999999", str(MAX_PAGE + 1)]
)
def test_bad_page_is_a_designed_400(site: Site, raw: str) -> None:
    response = site.client.get("/papers/new", params={"page": raw})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "No such page" in response.text
    assert "Traceback" not in response.text


def test_parse_page_and_pager_urls() -> None:
    assert parse_page(None) == 1
    assert parse_page("") == 1
    assert parse_page("7") == 7
    assert parse_page(str(MAX_PAGE)) == MAX_PAGE
    with pytest.raises(PageError):
        parse_page("0")
    pager = Pager(page=1, has_next=True, path="/")
    assert (pager.prev_url, pager.next_url) == (None, "/?page=2")
    pager = Pager(page=2, has_next=False, path="/papers/new")
    assert (pager.prev_url, pager.next_url) == ("/papers/new", None)


def test_page_title_in_html_is_escaped(site: Site) -> None:
    site.add(paper(title="<script>alert('x')</script> Robust attention"))
    html = site.client.get("/").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html


# --- the paper page ---------------------------------------------------------------------------


def test_paper_page_shows_everything(site: Site) -> None:
    site.add(
        paper(
            "2401.01234",
            title="<script>alert(1)</script> Sparse attention",
            abstract=(
                "First line of the abstract\nwraps here.\n  A second paragraph\nstarts indented."
            ),
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
            categories=["cs.CL", "cs.LG"],
            published_at=datetime(2024, 1, 5, tzinfo=UTC),
            updated_at=datetime(2024, 2, 9, tzinfo=UTC),
            version=3,
            comments="12 pages, 4 figures",
            journal_ref="NeurIPS 2024",
            doi="10.1000/xyz123",
            license="http://creativecommons.org/licenses/by/4.0/",
            code_urls=["https://github.com/ada/sparse"],
            project_page="https://ada.github.io/sparse",
        )
    )
    response = site.client.get("/papers/2401.01234")
    assert response.status_code == 200
    html = response.text
    # The title is text, never markup.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Sparse attention</h1>" in html
    for name in ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"):
        assert name in html
    assert "4 authors" in html
    assert "<p>First line of the abstract wraps here.</p>" in html
    assert "<p>A second paragraph starts indented.</p>" in html
    assert 'href="https://arxiv.org/abs/2401.01234"' in html
    assert 'href="https://arxiv.org/pdf/2401.01234"' in html
    assert 'href="https://github.com/ada/sparse"' in html
    assert 'href="https://ada.github.io/sparse"' in html
    assert 'href="https://doi.org/10.1000/xyz123"' in html
    assert "12 pages, 4 figures" in html
    assert "NeurIPS 2024" in html
    assert "Jan 5, 2024" in html
    assert "Feb 9, 2024" in html
    assert "(v3)" in html
    assert '<span class="chip chip-primary">cs.CL</span>' in html


def test_unsafe_link_from_imported_data_is_not_a_link(site: Site) -> None:
    site.add(paper(project_page="javascript:alert(1)", code_urls=["javascript:alert(2)"]))
    html = site.client.get("/papers/2401.01234").text
    assert "javascript:" not in html


def test_old_style_id_page(site: Site) -> None:
    site.add(
        paper(
            "hep-th/9901001",
            title="Strings in old-style ids",
            categories=["hep-th"],
            published_at=datetime(1999, 1, 4, tzinfo=UTC),
        )
    )
    response = site.client.get("/papers/hep-th/9901001")
    assert response.status_code == 200
    assert "Strings in old-style ids" in response.text
    assert 'href="https://arxiv.org/abs/hep-th/9901001"' in response.text
    assert "Jan 4, 1999" in response.text
    # And linked that way from the listing.
    assert 'href="/papers/hep-th/9901001"' in site.client.get("/").text


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/papers/2401.01234v2", "/papers/2401.01234"),
        ("/papers/arXiv:2401.01234", "/papers/2401.01234"),
        ("/papers/2401.01234/", "/papers/2401.01234"),
        ("/papers/hep-th/9901001v3", "/papers/hep-th/9901001"),
    ],
)
def test_versioned_and_labelled_ids_redirect_to_canonical(
    site: Site, path: str, target: str
) -> None:
    response = site.client.get(path, follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == target


def test_redirect_then_page(site: Site) -> None:
    site.add(paper("2401.01234", title="Versioned"))
    response = site.client.get("/papers/2401.01234v1")
    assert response.status_code == 200
    assert response.url.path == "/papers/2401.01234"
    assert "Versioned" in response.text


def test_unknown_paper_is_a_designed_404(site: Site) -> None:
    response = site.client.get("/papers/2401.99999")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Paper not found" in response.text
    assert "2401.99999" in response.text
    assert 'href="https://arxiv.org/abs/2401.99999"' in response.text


@pytest.mark.parametrize(
    "path", ["/papers/not-an-id", "/papers/2413.00001", "/papers/<b>x</b>", "/no/such/page"]
)
def test_invalid_ids_and_unknown_paths_are_designed_404s(site: Site, path: str) -> None:
    response = site.client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert 'class="error-page"' in response.text
    assert "<b>x</b>" not in response.text


# --- health, static files, error pages --------------------------------------------------------


def test_healthz_counts_papers(site: Site) -> None:
    assert site.client.get("/healthz").json() == {"status": "ok", "papers": 0}
    site.add(paper("2401.00001"), paper("2401.00002"))
    assert site.client.get("/healthz").json() == {"status": "ok", "papers": 2}


def test_healthz_without_schema_is_503(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/empty.db", upgrade=False)
    with build_site(db, tmp_path, cache=True) as site:
        response = site.open_client().get("/healthz")
    db.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_stylesheet_is_served_and_linked(site: Site) -> None:
    html = site.client.get("/").text
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert href is not None
    assert href.group(1).startswith("/static/style.css?v=")
    response = site.client.get(href.group(1))
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    # Self-contained: no fonts or stylesheets from elsewhere.
    assert "@import" not in response.text
    assert "http" not in response.text


def test_every_page_has_the_search_box_and_nav(site: Site) -> None:
    for path in ("/", "/papers/2401.99999"):
        html = site.client.get(path).text
        assert '<form class="search" action="/search" method="get"' in html
        assert 'name="q"' in html
        assert '<a href="/"' in html


def test_openapi_schema_builds_cleanly(site: Site) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. duplicate operation ids
        response = site.client.get("/openapi.json")
    assert response.status_code == 200
    # HTML pages are not API operations.
    assert "/" not in response.json()["paths"]


def test_head_requests_are_answered(site: Site) -> None:
    for path in ("/", "/healthz", "/papers/2401.99999"):
        response = site.client.head(path)
        assert response.status_code == (404 if path.startswith("/papers/") else 200)


def test_wrong_method_is_a_designed_405(site: Site) -> None:
    response = site.client.post("/")
    assert response.status_code == 405
    assert 'class="error-page"' in response.text


def test_unexpected_error_is_a_designed_500(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> list[PaperRecord]:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("paperboard.storage.papers.newest", broken)
    response = site.client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_api_paths_get_json_errors(site: Site) -> None:
    # The API arrives later; its errors are JSON in Hugging Face's {"error": ...} shape.
    response = site.client.get("/api/no-such-route")
    assert response.status_code == 404
    assert "error" in response.json()


def test_apps_do_not_share_state(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    db_a = Database(f"sqlite:///{tmp_path}/a/t.db")
    db_b = Database(f"sqlite:///{tmp_path}/b/t.db")
    load(db_a, [paper("2401.00001")])
    with (
        build_site(db_a, tmp_path / "a", cache=True) as site_a,
        build_site(db_b, tmp_path / "b", cache=True) as site_b,
    ):
        assert site_a.open_client().get("/healthz").json()["papers"] == 1
        assert site_b.open_client().get("/healthz").json()["papers"] == 0
    db_a.dispose()
    db_b.dispose()


# --- presentation helpers ---------------------------------------------------------------------

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 1, 22), "Jan 22"),
        (date(2026, 12, 3), "Dec 3"),
        (datetime(2026, 3, 15, 23, 59, tzinfo=UTC), "Mar 15"),
        (date(2023, 9, 28), "Sep 28, 2023"),
        (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), "Dec 31, 2025"),
        (date(2027, 1, 1), "Jan 1, 2027"),
        (date(1999, 5, 7), "May 7, 1999"),
        (None, ""),
    ],
)
def test_format_date(value: date | datetime | None, expected: str) -> None:
    assert format_date(value, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short\nabstract.", 300, "Short abstract."),
        ("Para one.\n  Para two.", 300, "Para one. Para two."),
        ("alpha beta gamma delta", 12, "alpha beta…"),
        ("alpha beta, gamma delta", 11, "alpha beta…"),
        ("x" * 50, 10, "x" * 10 + "…"),
        ("exactly ten", 11, "exactly ten"),
    ],
)
def test_excerpt(text: str, limit: int, expected: str) -> None:
    assert excerpt(text, limit) == expected


@pytest.mark.parametrize(
    ("authors", "label", "names", "more"),
    [
        ([], "", (), 0),
        (["A"], "1 author", ("A",), 0),
        (["A", "B", "C"], "3 authors", ("A", "B", "C"), 0),
        (["A", "B", "C", "D", "E"], "5 authors", ("A", "B", "C"), 2),
        ([f"N{i}" for i in range(2913)], "2,913 authors", ("N0", "N1", "N2"), 2910),
    ],
)
def test_authors_summary(authors: list[str], label: str, names: tuple[str, ...], more: int) -> None:
    summary = authors_summary(authors)
    assert (summary.label, summary.names, summary.more, summary.count) == (
        label,
        names,
        more,
        len(authors),
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/a/b", "https://github.com/a/b"),
        (" http://example.org/x ", "http://example.org/x"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,hi", None),
        ("//evil.example/x", None),
        ("github.com/a/b", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_url_label_and_doi_url() -> None:
    assert url_label("https://www.github.com/owner/repo/") == "github.com/owner/repo"
    assert url_label("https://example.org") == "example.org"
    assert doi_url("10.1000/xyz123") == "https://doi.org/10.1000/xyz123"
    assert doi_url("10.1/a#b 10.2/c") == "https://doi.org/10.1/a%23b"
    assert doi_url(None) is None
