"""arXiv identifiers: both schemes, versions, URLs and labels people paste, and what is rejected."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.arxiv_id import (
    ArxivId,
    InvalidArxivId,
    abs_url,
    canonical_id,
    is_arxiv_id,
    parse_arxiv_id,
    pdf_url,
)


@pytest.mark.parametrize(
    ("text", "expected_id", "expected_version"),
    [
        # New style: four digits to 2014, five from 2015.
        ("0704.0001", "0704.0001", None),
        ("1412.9999", "1412.9999", None),
        ("1501.00001", "1501.00001", None),
        ("2401.01234", "2401.01234", None),
        ("2401.01234v1", "2401.01234", 1),
        ("2401.01234v12", "2401.01234", 12),
        ("0704.0001v2", "0704.0001", 2),
        ("  2401.01234\n", "2401.01234", None),
        # URLs of the abstract, PDF and HTML pages.
        ("https://arxiv.org/abs/2401.01234", "2401.01234", None),
        ("https://arxiv.org/abs/2401.01234v2", "2401.01234", 2),
        ("http://arxiv.org/abs/2401.01234v2", "2401.01234", 2),
        ("arxiv.org/abs/2401.01234", "2401.01234", None),
        ("https://www.arxiv.org/abs/2401.01234", "2401.01234", None),
        ("http://export.arxiv.org/abs/2401.01234v3", "2401.01234", 3),
        ("https://arxiv.org/abs/2401.01234/", "2401.01234", None),
        ("https://arxiv.org/abs/2401.01234?context=cs.LG", "2401.01234", None),
        ("https://arxiv.org/abs/2401.01234#S3", "2401.01234", None),
        ("https://arxiv.org/pdf/2401.01234", "2401.01234", None),
        ("https://arxiv.org/pdf/2401.01234v2", "2401.01234", 2),
        ("https://arxiv.org/pdf/2401.01234v2.pdf", "2401.01234", 2),
        ("https://arxiv.org/pdf/2401.01234.pdf", "2401.01234", None),
        ("https://arxiv.org/html/2401.01234v1", "2401.01234", 1),
        ("https://huggingface.co/papers/2401.01234", "2401.01234", None),
        ("https://hf.co/papers/2401.01234", "2401.01234", None),
        # Labels.
        ("arXiv:2401.01234", "2401.01234", None),
        ("arXiv:2401.01234v5", "2401.01234", 5),
        ("ARXIV:2401.01234", "2401.01234", None),
        ("oai:arXiv.org:0704.0001", "0704.0001", None),
        # Old style (before April 2007): archive(.SUBJECT)/YYMMNNN.
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v1", "hep-th/9901001", 1),
        ("math.GT/0309136", "math.GT/0309136", None),
        ("math.GT/0309136v2", "math.GT/0309136", 2),
        ("cond-mat/0211034", "cond-mat/0211034", None),
        ("astro-ph/0701001v3", "astro-ph/0701001", 3),
        ("math/0309136", "math/0309136", None),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001", 2),
        ("https://arxiv.org/pdf/cond-mat/0211034.pdf", "cond-mat/0211034", None),
        ("arXiv:math.GT/0309136", "math.GT/0309136", None),
        ("oai:arXiv.org:hep-th/9901001", "hep-th/9901001", None),
    ],
)
def test_parse_valid(text: str, expected_id: str, expected_version: int | None) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed == ArxivId(expected_id, expected_version)
    assert canonical_id(text) == expected_id
    assert is_arxiv_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "v0",
        "v2",
        "2401",
        "2401.",
        ".01234",
        "2401.123",  # too few digits
        "2401.123456",  # too many digits
        "2413.00001",  # month 13
        "2400.00001",  # month 0
        "1412.12345",  # five digits before 2015
        "1501.1234",  # four digits from 2015
        "2401.01234v0",  # versions count from 1
        "2401.01234v",
        "2401.01234vv2",
        "2401.01234v-1",
        "2401.01234 v2",
        "2401.01234.pdf.pdf",
        "hep-th/990100",  # six digits
        "hep-th/99010011",  # eight digits
        "hep-th/9913001",  # month 13
        "hep-th/9900001",  # month 0
        "hep-th9901001",
        "/9901001",
        "math.GTX/0309136",
        "../../etc/passwd",
        "../2401.01234",
        "2401.01234/../../etc/passwd",
        "https://example.com/abs/2401.01234",
        "https://arxiv.org/list/cs.LG/recent",
        "https://arxiv.org/abs/",
        "2401.01234; DROP TABLE papers",
        "2401.01234\x00",
        "2401.01234" * 30,
        "a" * 10_000,
        "https://arxiv.org/abs/" + "1" * 500,
    ],
)
def test_parse_invalid(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


@pytest.mark.parametrize("value", [None, 2401.01234, 240101234, b"2401.01234", ["2401.01234"]])
def test_parse_rejects_non_text(value: object) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(value)  # type: ignore[arg-type]
    assert not is_arxiv_id(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["２４０１.０１２３４", "٢٤٠١.٠١٢٣٤", "hep-th/９９０１００１"])
def test_non_ascii_digits_are_rejected(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


def test_invalid_arxiv_id_is_a_value_error() -> None:
    # Parsers catch ValueError for "this record is unusable": an invalid id must be one.
    assert issubclass(InvalidArxivId, ValueError)


def test_error_message_is_short_for_long_input() -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id("x" * 100_000)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("parsed", "versioned", "old_style"),
    [
        (ArxivId("2401.01234"), "2401.01234", False),
        (ArxivId("2401.01234", 3), "2401.01234v3", False),
        (ArxivId("hep-th/9901001", 2), "hep-th/9901001v2", True),
        (ArxivId("math.GT/0309136"), "math.GT/0309136", True),
    ],
)
def test_versioned_and_old_style(parsed: ArxivId, versioned: str, old_style: bool) -> None:
    assert parsed.versioned == versioned
    assert parsed.is_old_style is old_style
    assert parse_arxiv_id(versioned) == parsed


@pytest.mark.parametrize(
    ("arxiv_id", "abs_link", "pdf_link"),
    [
        ("2401.01234", "https://arxiv.org/abs/2401.01234", "https://arxiv.org/pdf/2401.01234"),
        (
            "hep-th/9901001",
            "https://arxiv.org/abs/hep-th/9901001",
            "https://arxiv.org/pdf/hep-th/9901001",
        ),
    ],
)
def test_links(arxiv_id: str, abs_link: str, pdf_link: str) -> None:
    assert abs_url(arxiv_id) == abs_link
    assert pdf_url(arxiv_id) == pdf_link
    # The links parse back to the id.
    assert canonical_id(abs_link) == arxiv_id
    assert canonical_id(pdf_link) == arxiv_id


# --- properties --------------------------------------------------------------------------------


@st.composite
def new_style_ids(draw: st.DrawFn) -> str:
    year = draw(st.integers(min_value=7, max_value=99))
    month = draw(st.integers(min_value=1, max_value=12))
    yymm = year * 100 + month
    digits = 5 if yymm >= 1501 else 4
    number = draw(st.integers(min_value=0, max_value=10**digits - 1))
    return f"{yymm:04d}.{number:0{digits}d}"


@st.composite
def old_style_ids(draw: st.DrawFn) -> str:
    archive = draw(
        st.sampled_from(
            ["hep-th", "hep-ph", "cond-mat", "astro-ph", "math", "cs", "quant-ph", "gr-qc"]
        )
    )
    subject = draw(st.sampled_from(["", ".GT", ".AG", ".CO", ".LG"]))
    year = draw(st.sampled_from([91, 95, 99, 0, 3, 6, 7]))
    month = draw(st.integers(min_value=1, max_value=12))
    number = draw(st.integers(min_value=0, max_value=999))
    return f"{archive}{subject}/{year:02d}{month:02d}{number:03d}"


_FORMATS = [
    "{}",
    "arXiv:{}",
    "https://arxiv.org/abs/{}",
    "https://arxiv.org/pdf/{}",
    "https://arxiv.org/pdf/{}.pdf",
    "http://export.arxiv.org/abs/{}",
    "https://huggingface.co/papers/{}",
    " {} ",
]


@given(
    base=st.one_of(new_style_ids(), old_style_ids()),
    version=st.one_of(st.none(), st.integers(min_value=1, max_value=999)),
    template=st.sampled_from(_FORMATS),
)
def test_round_trip(base: str, version: int | None, template: str) -> None:
    expected = ArxivId(base, version)
    parsed = parse_arxiv_id(template.format(expected.versioned))
    assert parsed == expected
    assert parse_arxiv_id(parsed.id) == ArxivId(base)
    assert parse_arxiv_id(parsed.versioned) == parsed


_CANONICAL = re.compile(r"\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/\d{7}")


@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_raises_invalid(text: str) -> None:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId:
        return
    # Whatever is accepted is canonical, versions are positive, and parsing is idempotent.
    assert _CANONICAL.fullmatch(parsed.id)
    assert parsed.version is None or parsed.version >= 1
    assert parse_arxiv_id(parsed.versioned) == parsed


@given(st.from_regex(r"\A(arXiv:)?\d{4}\.\d{4,5}(v\d{1,3})?\Z"))
def test_id_shaped_text_parses_or_raises_invalid(text: str) -> None:
    # Text that looks like an id (so reaches the month/length checks) still only raises
    # InvalidArxivId.
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId:
        return
    assert parsed.id in text
