"""Reference-manager entries: arXiv ids found wherever tools write them, titles compared as
text, BibTeX titles that stay valid TeX, and each format's writer read back by its reader."""

from __future__ import annotations

from datetime import date

import bibtexparser
import pytest

from paperboard.domain.citations import (
    Citation,
    bibtex_name,
    bibtex_title,
    citation_key,
    find_arxiv_id,
    split_name,
    title_key,
)
from paperboard.library.citations import UnreadableFile, bibtex, csljson, ris


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([("eprint", "1706.03762"), ("archivePrefix", "arXiv")], "1706.03762"),
        ([("eprint", "arXiv:1706.03762v5")], "1706.03762"),
        ([("eprint", "hep-th/9901001")], "hep-th/9901001"),
        ([("eprint", "1706.03762"), ("archivePrefix", "HAL")], None),  # another archive
        ([("url", "https://arxiv.org/pdf/2401.01234v2.pdf")], "2401.01234"),
        ([("urls", "http://arxiv.org/abs/math.GT/0309136")], "math.GT/0309136"),
        ([("doi", "10.48550/arXiv.2401.01234")], "2401.01234"),
        ([("DOI", "https://doi.org/10.48550/ARXIV.2401.01234")], "2401.01234"),
        ([("journal", "arXiv preprint arXiv:1706.03762")], "1706.03762"),
        ([("note", "see arXiv: 2401.01234")], "2401.01234"),
        ([("doi", "10.1038/nature14539")], None),
        ([("number", "12")], None),
        ([("title", "2401.01234 is in the title")], None),
        ([("eprint", "1713.00001")], None),  # month 13
    ],
)
def test_find_arxiv_id(fields: list[tuple[str, str]], expected: str | None) -> None:
    assert find_arxiv_id(fields) == expected


def test_title_key_reads_tex_and_ignores_case_and_punctuation() -> None:
    assert title_key(r"$\alpha$-Net: {BERT} \& Co.") == title_key("α-net: BERT & co")
    assert title_key("Attention Is All You Need") == "attention is all you need"
    assert title_key("Attention is all you need!") == title_key("ATTENTION  IS ALL YOU NEED")
    assert title_key("Attention is all you need") != title_key("Attention is not all you need")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Attention Is All You Need", "Attention Is All You Need"),
        (r"$\alpha$-Net: 100% of BERT & co_x", r"$\alpha$-Net: 100\% of {BERT} \& co\_x"),
        (r"Already 100\% escaped", r"Already 100\% escaped"),
        ("On {ImageNet} and GPT-4", "On {ImageNet} and {GPT}-4"),
        ("An unbalanced { brace", r"An unbalanced \{ brace"),
        ("A lone $ sign", r"A lone \$ sign"),
        (r"\LaTeX{} for all", r"\LaTeX{} for all"),
        ("Math $x_1 & y$ kept", "Math $x_1 & y$ kept"),
    ],
)
def test_bibtex_title(title: str, expected: str) -> None:
    assert bibtex_title(title) == expected


def test_bibtex_titles_parse_back_to_balanced_values() -> None:
    for title in ("An unbalanced { brace", "Close } first {", "100% & #1 _x_ $y$ z$"):
        text = f"@misc{{k, title={{{bibtex_title(title)}}}}}"
        parsed = bibtexparser.parse_string(text)
        assert not parsed.failed_blocks and len(parsed.entries) == 1
        assert title_key(parsed.entries[0]["title"]) == title_key(title.replace("$", ""))


def test_names() -> None:
    assert bibtex_name("Jane Doe") == "Jane Doe"
    assert bibtex_name("Smith, Jr.") == "{Smith, Jr.}"
    assert bibtex_name("Tom and Jerry Group") == "{Tom and Jerry Group}"
    assert split_name("Jane van Doe") == ("Doe", "Jane van")
    assert split_name("Doe, Jane") == ("Doe", "Jane")
    assert split_name("Plato") == ("Plato", "")


def citation(arxiv_id: str, title: str, author: str = "Ashish Vaswani") -> Citation:
    return Citation(
        arxiv_id=arxiv_id,
        title=title,
        authors=[author, "Noam Shazeer"],
        abstract="We propose\na new  network.",
        published=date(2017, 6, 12),
        primary_category="cs.CL",
        doi=None,
        journal_ref=None,
        note="Read & cite\nsecond line",
    )


def test_citation_keys_are_arxiv_style_and_unique() -> None:
    taken: set[str] = set()
    first = citation("1706.03762", "Attention Is All You Need")
    assert citation_key(first, taken) == "vaswani2017attention"
    assert citation_key(first, taken) == "vaswani2017attentiona"
    nameless = Citation("2401.00001", "??", [], "", None, None, None, None, None)
    assert citation_key(nameless, taken) == "arxiv240100001"


def test_bibtex_entry_is_arxivs_shape() -> None:
    text = bibtex.write([citation("1706.03762", "Attention Is All You Need")])
    assert text.startswith("@misc{vaswani2017attention,")
    for line in (
        "title = {Attention Is All You Need}",
        "author = {Ashish Vaswani and Noam Shazeer}",
        "year = {2017}",
        "eprint = {1706.03762}",
        "archivePrefix = {arXiv}",
        "primaryClass = {cs.CL}",
        "doi = {10.48550/arXiv.1706.03762}",
        "url = {https://arxiv.org/abs/1706.03762}",
        r"annote = {Read \& cite second line}",
    ):
        assert line in text


@pytest.mark.parametrize("module", [bibtex, ris, csljson])
def test_each_format_reads_back_what_it_writes(module) -> None:  # type: ignore[no-untyped-def]
    written = [
        citation("1706.03762", r"Attention Is All You Need for $\alpha$ & 100% of {BERT}"),
        citation("hep-th/9901001", "An old-style paper", author="José Ñúñez"),
    ]
    read = module.read(module.write(written))
    assert read.unread == []
    assert [find_arxiv_id(entry.fields) for entry in read.entries] == [
        "1706.03762",
        "hep-th/9901001",
    ]
    assert [title_key(entry.title or "") for entry in read.entries] == [
        title_key(c.title) for c in written
    ]
    assert all(entry.note and "Read" in entry.note for entry in read.entries)


def test_unreadable_files_say_so() -> None:
    with pytest.raises(UnreadableFile):
        bibtex.read("just some words")
    with pytest.raises(UnreadableFile):
        ris.read("just some words")
    with pytest.raises(UnreadableFile):
        csljson.read("{not json")
    with pytest.raises(UnreadableFile):
        csljson.read('"a string"')


def test_parts_that_cannot_be_read_are_reported() -> None:
    read = bibtex.read("@misc{a, title={x}}\n@misc{b, title={y}\n@misc{c, title={z}}")
    assert [entry.key for entry in read.entries] == ["a", "c"]
    assert len(read.unread) == 1 and read.unread[0].where == "line 2"
    unterminated = ris.read("TY  - GEN\nTI  - x\nER  - \n\nTY  - GEN\nTI  - y\n")
    assert len(unterminated.entries) == 1
    assert "1 record(s)" in unterminated.unread[0].reason
    mixed = csljson.read('[{"title": "x"}, 3]')
    assert len(mixed.entries) == 1 and mixed.unread[0].where == "entry 2"
