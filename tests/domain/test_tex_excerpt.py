"""An abstract's paragraphs and its start cut by what a reader sees (domain/tex/excerpt.py)."""

from __future__ import annotations

import pytest

from paperboard.domain.tex import excerpt_pieces, reflow


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        (None, []),
        ("One line.", ["One line."]),
        ("wrapped at\neighty columns\nby arXiv.", ["wrapped at eighty columns by arXiv."]),
        # arXiv starts a paragraph with an indented line.
        (
            "First para\nends.\n  Second para\ncontinues.",
            ["First para ends.", "Second para continues."],
        ),
        # Blank lines separate paragraphs too, however many.
        ("One.\n\nTwo.\n\n\n\nThree.", ["One.", "Two.", "Three."]),
        # Leading indentation, trailing space, Windows line ends and runs of spaces.
        ("  Indented start\r\nof  text.  \n", ["Indented start of text."]),
        # A line-final hyphen is usually a suspended compound: keep the space.
        ("open-\nand closed-source models", ["open- and closed-source models"]),
        ("TeX stays as is: $O(n\n\\log n)$.", ["TeX stays as is: $O(n \\log n)$."]),
    ],
)
def test_reflow(text: str | None, expected: list[str]) -> None:
    assert reflow(text) == expected


def test_excerpt_pieces_cut_by_what_is_shown() -> None:
    # 200 characters of TeX source that show as far fewer: nothing is cut.
    source = "Speed-up of " + " ".join(["$10\\times$"] * 15) + " overall."
    assert "".join(text for _, text in excerpt_pieces(source, 200)) == (
        "Speed-up of " + " ".join(["10×"] * 15) + " overall."
    )
    # Cut inside a script piece: the piece is shortened, never split from its kind.
    pieces = excerpt_pieces("Word $x_{" + "a" * 100 + "}$ end", 20)
    assert pieces == (("", "Word x"), ("sub", "a" * 14), ("", "…"))
    # Re-flowed before it is read.
    assert excerpt_pieces("One\nline $\\alpha$.") == (("", "One line α."),)
    assert excerpt_pieces(None) == ()
    assert excerpt_pieces("") == ()
