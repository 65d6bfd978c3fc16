"""TeX accent macros in names and titles, as arXiv's metadata spells them, turned into Unicode."""

from __future__ import annotations

import unicodedata

import pytest

from paperboard.domain.tex.accents import detex_accents


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        # Accents in every spelling arXiv metadata uses.
        (r"C. Bal\'azs", "C. Balázs"),
        (r"Bal\'{a}zs", "Balázs"),
        (r"Bal{\'a}zs", "Balázs"),
        (r"Bal{\'{a}}zs", "Balázs"),
        (r"\'{ a }", "á"),
        (r"{\'{E}}cole", "École"),
        (r"\'E", "É"),
        (r"\`e", "è"),
        (r"\^o", "ô"),
        (r"M\"uller", "Müller"),
        (r"M{\"u}ller", "Müller"),
        (r"D\"{o}rfler", "Dörfler"),
        (r"{\"O}zt{\"u}rk", "Öztürk"),
        (r"Pe\~na", "Peña"),
        (r"\=a", "ā"),
        (r"\.z", "ż"),
        (r"\.{I}", "İ"),
        (r"Erd\H{o}s", "Erdős"),
        (r"\H o", "ő"),
        (r"\u{a}", "ă"),
        (r"\k{a}", "ą"),
        (r"\r{u}", "ů"),
        (r"\v{C}ech", "Čech"),
        (r"\v s", "š"),
        (r"\v{z}", "ž"),
        (r"Ko\c{c}", "Koç"),
        (r"\c c", "ç"),
        (r"\c {c}", "ç"),
        (r"\c{S}", "Ş"),
        # Dotless i and j under an accent.
        (r"\'{\i}", "í"),
        (r"\'\i", "í"),
        (r"{\'{\i}}", "í"),
        (r"\`{\i}", "ì"),
        (r"\"{\i}", "ï"),
        # Special letters.
        (r"\ss", "ß"),
        (r"Gau\ss{}", "Gauß"),
        (r"Stra\ss e", "Straße"),  # TeX swallows the space that ends a control word
        (r"\o", "ø"),
        (r"{\o}", "ø"),
        (r"J{\o}rgensen", "Jørgensen"),
        (r"\o{}", "ø"),
        (r"\O", "Ø"),
        (r"{\L}ukasz", "Łukasz"),
        (r"\L ukasz", "Łukasz"),
        (r"\l{}", "ł"),
        (r"\ae", "æ"),
        (r"\AE", "Æ"),
        (r"\oe uvre", "œuvre"),
        (r"\OE", "Œ"),
        (r"\aa", "å"),
        (r"\AA ngstr\"om", "Ångström"),
        (r"{\AA}ngstr{\"o}m", "Ångström"),
        (r"\o\o", "øø"),
        # Several in one string.
        (r"P. Erd\H{o}s and J. Ne\v{s}et\v{r}il", "P. Erdős and J. Nešetřil"),
        # Everything else is left alone: math, other macros, plain text, Unicode already there.
        ("no accents", "no accents"),
        ("", ""),
        ("Balázs", "Balázs"),
        (r"$\alpha$-stable", r"$\alpha$-stable"),
        (r"$\hat{x}$ and $\tilde{x}_t$", r"$\hat{x}$ and $\tilde{x}_t$"),
        (r"\vec{x}", r"\vec{x}"),
        (r"\uline{x}", r"\uline{x}"),
        (r"\emph{x}", r"\emph{x}"),
        (r"\ldots", r"\ldots"),
        (r"\lambda", r"\lambda"),
        (r"\oslash", r"\oslash"),
        (r"\label{eq}", r"\label{eq}"),
        (r"x \\ y", r"x \\ y"),
        (r"A \& B", r"A \& B"),
        (r"\'1", r"\'1"),
        (r"\'{}", r"\'{}"),
        (r"\v{}", r"\v{}"),
    ],
)
def test_detex_accents(tex: str, text: str) -> None:
    result = detex_accents(tex)
    assert result == text
    # Composed characters, so that "Balázs" typed on a keyboard matches.
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize("text", [r"C. Bal\'azs", r"Erd\H{o}s", r"\AA ngstr\"om", "plain"])
def test_detex_is_idempotent(text: str) -> None:
    once = detex_accents(text)
    assert detex_accents(once) == once
