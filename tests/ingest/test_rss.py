"""arXiv's daily listings: the recorded RSS feed, the Atom variant, errors, fetching."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperboard.domain.paper import Malformed, PaperRecord
from paperboard.ingest.errors import SourceError
from paperboard.ingest.http import HttpFetcher
from paperboard.ingest.rss import Listing, fetch_listing, listing_url, parse_listing
from tests.httpserver import LocalServer, Reply

CATEGORIES = ["cs.LG", "cs.AI", "cs.CL", "stat.ML"]

# Shaped like rss.arxiv.org/atom output (arXiv's feed service writes it with feedgen): the id is
# the OAI identifier, the summary repeats "arXiv:<id> Announce Type: ..." before the abstract.
ATOM_LISTING = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/cs.LG</id>
  <title>cs.LG updates on arXiv.org</title>
  <updated>2026-11-24T00:00:00-05:00</updated>
  <link href="http://rss.arxiv.org/atom/cs.LG" rel="self" type="application/atom+xml"/>
  <subtitle>cs.LG updates on the arXiv.org e-print archive.</subtitle>
  <entry>
    <id>oai:arXiv.org:2611.04321v1</id>
    <title>Schrödinger Bridges for $\\mathcal{L}^2$
      Flow Matching</title>
    <updated>2026-11-24T00:00:00-05:00</updated>
    <link href="https://arxiv.org/abs/2611.04321" rel="alternate" type="text/html"/>
    <summary>arXiv:2611.04321v1 Announce Type: new
Abstract: We match flows. Code: https://github.com/example/bridges.</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="stat.ML" scheme="http://arxiv.org/schemas/atom"/>
    <published>2026-11-23T23:30:00-05:00</published>
    <arxiv:announce_type>new</arxiv:announce_type>
    <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
    <dc:creator>Zoë Müller, Jean-Luc Picard and Ada Lovelace</dc:creator>
  </entry>
  <entry>
    <id>oai:arXiv.org:hep-th/9901001v4</id>
    <title>An Old Paper, Replaced</title>
    <updated>2026-11-24T00:00:00-05:00</updated>
    <link href="https://arxiv.org/abs/hep-th/9901001" rel="alternate" type="text/html"/>
    <summary>arXiv:hep-th/9901001v4 Announce Type: replace-cross
Abstract: Strings.</summary>
    <category term="hep-th"/>
    <category term="cs.LG"/>
    <published>2026-11-24T00:00:00-05:00</published>
    <arxiv:announce_type>replace-cross</arxiv:announce_type>
    <rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</rights>
    <arxiv:journal_reference>Nucl. Phys. B 1 (1999) 1</arxiv:journal_reference>
    <arxiv:DOI>10.1016/example</arxiv:DOI>
    <author><name>E. Witten</name></author>
    <author><name>  J.   Maldacena </name></author>
  </entry>
</feed>
"""


def rss(*items: str, channel_extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>cs.LG updates on arXiv.org</title>"
        "<pubDate>Mon, 23 Nov 2026 00:00:00 -0500</pubDate>"
        f"{channel_extra}{''.join(items)}</channel></rss>"
    ).encode()


def item(guid: str | None, link: str | None, title: str | None = "A title") -> str:
    parts = [
        f"<guid isPermaLink='false'>{guid}</guid>" if guid else "",
        f"<link>{link}</link>" if link else "",
        f"<title>{title}</title>" if title else "",
        "<description>arXiv:2611.00007v2 Announce Type: replace \nAbstract: Text.</description>",
        "<category>cs.LG</category><dc:creator>A. Author</dc:creator>",
    ]
    return f"<item>{''.join(parts)}</item>"


def papers(listing: Listing) -> list[PaperRecord]:
    assert all(isinstance(entry, PaperRecord) for entry in listing.items), listing.items
    return [entry for entry in listing.items if isinstance(entry, PaperRecord)]


@pytest.fixture
def recorded_rss(fixtures_dir: Path) -> bytes:
    (path,) = (fixtures_dir / "arxiv_rss").glob("*.xml")
    return path.read_bytes()


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    client = HttpFetcher(min_interval_s=0, backoff_s=0.01, retries=2)
    yield client
    client.close()


# --- the recorded RSS listing -------------------------------------------------------------------


def test_recorded_listing(recorded_rss: bytes) -> None:
    listing = parse_listing(recorded_rss)
    assert listing.announced_on == date(2026, 9, 24)
    assert listing.announce_types == {
        "2609.26811": "new",
        "2609.26820": "new",
        "2205.06398": "cross",
        "2009.13987": "replace",
    }
    assert [(p.arxiv_id, p.version) for p in papers(listing)] == [
        ("2609.26811", 1),
        ("2609.26820", 1),
        ("2205.06398", 2),
        ("2009.13987", 3),
    ]
    assert all(p.announced_on == date(2026, 9, 24) for p in papers(listing))


def test_recorded_new_item(recorded_rss: bytes) -> None:
    first, second, *_ = papers(parse_listing(recorded_rss))
    assert first.title == ("The Drift Contract: Spectral Updates for Depth-Robust Local Learning")
    assert first.authors == ["Fabien Polly"]
    assert first.categories == ["cs.LG"]
    assert first.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    # Midnight in New York (-0400 in September) is 04:00 UTC.
    assert first.published_at == datetime(2026, 9, 24, 4, 0, tzinfo=UTC)
    assert first.abstract.startswith("Local learning trains each layer with its own auxiliary")
    assert first.abstract.endswith("precisely where normalization is absent.")
    assert "Announce Type" not in first.abstract
    assert first.doi is None
    assert second.authors == ["Naser Mansour", "Sidahmed Benabderrahmane", "Ameer Rahwan"]
    assert second.categories == ["cs.LG", "cs.AI"]
    assert second.primary_category == "cs.LG"


def test_recorded_cross_and_replace_items_have_no_first_version_date(recorded_rss: bytes) -> None:
    _, _, cross, replace = papers(parse_listing(recorded_rss))
    assert cross.published_at is None and replace.published_at is None
    assert cross.doi == "10.1093/bioinformatics/btac431"
    assert cross.categories == ["stat.ME", "stat.AP", "stat.ML"]
    assert cross.authors == ["Pritam Dey", "Zhengwu Zhang", "David B. Dunson"]
    assert cross.abstract.startswith("It has become routine in neuroscience")
    assert replace.title == "Random Polytope Descriptors"
    assert replace.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert replace.categories == ["cs.LG", "math.MG", "stat.ML"]


# --- the Atom variant ---------------------------------------------------------------------------


def test_atom_listing() -> None:
    listing = parse_listing(ATOM_LISTING.encode())
    assert listing.announced_on == date(2026, 11, 24)
    assert listing.announce_types == {"2611.04321": "new", "hep-th/9901001": "replace-cross"}
    new, replaced = papers(listing)

    assert (new.arxiv_id, new.version) == ("2611.04321", 1)
    assert new.title == "Schrödinger Bridges for $\\mathcal{L}^2$ Flow Matching"
    assert new.authors == ["Zoë Müller", "Jean-Luc Picard", "Ada Lovelace"]
    assert new.categories == ["cs.LG", "stat.ML"]
    assert new.abstract == "We match flows. Code: https://github.com/example/bridges."
    assert new.code_urls == ["https://github.com/example/bridges"]
    assert new.license == "http://creativecommons.org/licenses/by/4.0/"
    # 23:30 in New York is the next day in UTC; the announcement day stays arXiv's own.
    assert new.published_at == datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    assert new.announced_on == date(2026, 11, 23)

    assert (replaced.arxiv_id, replaced.version) == ("hep-th/9901001", 4)
    assert replaced.published_at is None
    assert replaced.authors == ["E. Witten", "J. Maldacena"]
    assert replaced.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert replaced.journal_ref == "Nucl. Phys. B 1 (1999) 1"
    assert replaced.doi == "10.1016/example"
    assert replaced.announced_on == date(2026, 11, 24)


# --- odd and broken input -----------------------------------------------------------------------


def test_item_without_guid_or_link_is_reported_and_the_rest_continues() -> None:
    listing = parse_listing(
        rss(
            item(guid=None, link=None),
            item(guid=None, link="https://arxiv.org/abs/2611.00007"),
            item(guid="oai:arXiv.org:2611.00008v1", link=None, title=None),
            item(guid="oai:arXiv.org:nonsense", link=None),
        )
    )
    missing, from_link, no_title, bad_id = listing.items
    assert isinstance(missing, Malformed) and missing.location == "item 1"
    assert "guid" in missing.reason
    # Without a guid the id comes from the link and the version from the description.
    assert isinstance(from_link, PaperRecord)
    assert (from_link.arxiv_id, from_link.version) == ("2611.00007", 2)
    assert from_link.announced_on == date(2026, 11, 23)
    assert isinstance(no_title, Malformed) and no_title.location == "item 3"
    assert isinstance(bad_id, Malformed) and bad_id.location == "item 4"
    assert listing.announce_types == {"2611.00007": "replace"}


def test_pre_2024_title_suffix_is_dropped() -> None:
    title = "Deep Nets. (arXiv:2611.00009v1 [cs.LG] UPDATED)"
    (paper,) = parse_listing(rss(item("oai:arXiv.org:2611.00009v1", None, title))).items
    assert isinstance(paper, PaperRecord) and paper.title == "Deep Nets."


def test_empty_listing_keeps_its_day() -> None:
    listing = parse_listing(rss())
    assert (listing.items, listing.announce_types) == ([], {})
    assert listing.announced_on == date(2026, 11, 23)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<rss><channel><item><title>cut",
        b"<rss version='2.0'/>",
        b"<html><body>Oops</body></html>",
        rss(channel_extra="").replace(
            b"cs.LG updates on arXiv.org", b"Feed error for query: cs.XX"
        ),
    ],
    ids=["empty", "truncated", "no-channel", "html", "feed-error"],
)
def test_unusable_listings_raise_source_error(data: bytes) -> None:
    with pytest.raises(SourceError):
        parse_listing(data)


# --- fetching -----------------------------------------------------------------------------------


def test_fetch_listing_through_a_server(
    fetcher: HttpFetcher, local_server: LocalServer, recorded_rss: bytes
) -> None:
    local_server.route("/rss/cs.LG+cs.AI+cs.CL+stat.ML", Reply(200, recorded_rss))
    listing = fetch_listing(fetcher, CATEGORIES, base_url=local_server.url("/rss"))
    assert len(papers(listing)) == 4
    assert [r.path for r in local_server.requests] == ["/rss/cs.LG+cs.AI+cs.CL+stat.ML"]


def test_fetch_atom_listing_retries_after_503(
    fetcher: HttpFetcher, local_server: LocalServer
) -> None:
    local_server.route("/atom/cs.LG", [Reply(503), Reply(200, ATOM_LISTING.encode())])
    listing = fetch_listing(fetcher, ["cs.LG"], base_url=local_server.url("/atom/"))
    assert list(listing.announce_types) == ["2611.04321", "hep-th/9901001"]
    assert len(local_server.requests) == 2


def test_fetch_listing_reports_arxivs_error(
    fetcher: HttpFetcher, local_server: LocalServer
) -> None:
    error = (
        b"<rss version='2.0'><channel><title>Feed error for query: cs.XX</title>"
        b"<description>Bad archive/category: cs.XX</description></channel></rss>"
    )
    local_server.route("/rss/cs.XX", Reply(400, error))
    with pytest.raises(SourceError, match=r"HTTP 400.*Bad archive/category: cs\.XX"):
        fetch_listing(fetcher, ["cs.XX"], base_url=local_server.url("/rss"))


def test_fetch_listing_http_error(fetcher: HttpFetcher, local_server: LocalServer) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        fetch_listing(fetcher, ["cs.LG"], base_url=local_server.url("/rss"))


def test_listing_url_checks_categories() -> None:
    assert listing_url(["cs.LG", "cs.CL"]) == "https://rss.arxiv.org/rss/cs.LG+cs.CL"
    with pytest.raises(ValueError):
        listing_url(["cs.LG/../../admin"])
    with pytest.raises(ValueError):
        listing_url([])
