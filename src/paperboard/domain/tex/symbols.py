"""What the TeX reader knows: macro names and what each becomes in Unicode text.

Tables only; :mod:`paperboard.domain.tex.parser` decides what to do with each kind of macro.
"""

from __future__ import annotations

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "upmu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ",
    "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ",
    "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ",
    "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
# Macros that stand for one symbol or a short text.
SYMBOLS = {
    **GREEK,
    # Relations and operators.
    "times": "×", "div": "÷", "pm": "±", "mp": "∓", "cdot": "·", "ast": "∗", "star": "⋆",
    "circ": "∘", "bullet": "•", "odot": "⊙", "oplus": "⊕", "ominus": "⊖", "otimes": "⊗",
    "sim": "∼", "simeq": "≃", "approx": "≈", "cong": "≅", "equiv": "≡", "propto": "∝",
    "neq": "≠", "ne": "≠", "le": "≤", "leq": "≤", "leqslant": "⩽", "ge": "≥", "geq": "≥",
    "geqslant": "⩾", "lesssim": "≲", "gtrsim": "≳", "lessapprox": "⪅", "gtrapprox": "⪆",
    "ll": "≪", "gg": "≫", "lt": "<", "gt": ">", "prec": "≺", "succ": "≻", "preceq": "⪯",
    "in": "∈", "notin": "∉", "ni": "∋", "subset": "⊂", "subseteq": "⊆", "supset": "⊃",
    "supseteq": "⊇", "cup": "∪", "cap": "∩", "setminus": "∖", "emptyset": "∅",
    "varnothing": "∅", "wedge": "∧", "land": "∧", "vee": "∨", "lor": "∨", "neg": "¬",
    "lnot": "¬", "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇", "infty": "∞",
    "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "perp": "⊥", "bot": "⊥", "top": "⊤",
    "parallel": "∥", "mid": "|", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "angle": "∠", "triangle": "△", "square": "□", "Box": "□", "bigstar": "★",
    "dagger": "†", "ddagger": "‡", "ell": "ℓ", "hbar": "ℏ", "prime": "′", "Re": "ℜ", "Im": "ℑ",
    "aleph": "ℵ", "wp": "℘", "checkmark": "✓",
    # Arrows.
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "implies": "⟹", "iff": "⟺",
    "mapsto": "↦", "uparrow": "↑", "downarrow": "↓", "longrightarrow": "⟶",
    # Delimiters.
    "langle": "⟨", "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋",
    "lbrace": "{", "rbrace": "}",
    # Dots and text symbols.
    "dots": "…", "ldots": "…", "cdots": "⋯", "dotsc": "…", "vdots": "⋮", "ddots": "⋱",
    "degree": "°", "textdegree": "°", "degr": "°", "arcdeg": "°", "arcsec": "″", "arcmin": "′",
    "AA": "Å", "angstrom": "Å", "S": "§", "P": "¶", "copyright": "©", "textregistered": "®",
    "circledR": "®", "texttrademark": "™", "textemdash": "—", "textendash": "–",
    "textasciitilde": "~", "textasciicircum": "^", "textless": "<", "textgreater": ">",
    "textbackslash": "\\", "textbar": "|", "textmu": "μ", "slash": "/", "sun": "☉",
    "Msun": "M☉", "msun": "M☉", "kms": "km s⁻¹", "LaTeX": "LaTeX", "TeX": "TeX",
    # Shorthands authors define in their papers and forget in the abstract.
    "ie": "i.e.", "eg": "e.g.", "etal": "et al.", "etc": "etc.", "vs": "vs.", "wrt": "w.r.t.",
    # Spacing.
    "quad": " ", "qquad": " ", "space": " ", "enspace": " ", "thinspace": "\u2009",
}  # fmt: skip
# Operator names print as words (upright in TeX).
OPERATORS = frozenset(
    [
        "log",
        "ln",
        "lg",
        "exp",
        "sin",
        "cos",
        "tan",
        "sec",
        "csc",
        "cot",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "max",
        "min",
        "sup",
        "inf",
        "arg",
        "argmax",
        "argmin",
        "lim",
        "liminf",
        "limsup",
        "det",
        "dim",
        "ker",
        "deg",
        "gcd",
        "Pr",
        "mod",
        "bmod",
    ]
)
# Font and markup macros whose single argument is kept as plain text.
KEEP_ARGUMENT = frozenset(
    [
        "text",
        "textrm",
        "textbf",
        "textit",
        "textsl",
        "textsf",
        "texttt",
        "textsc",
        "textup",
        "textmd",
        "textnormal",
        "emph",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathscr",
        "mathfrak",
        "mathnormal",
        "boldsymbol",
        "bm",
        "pmb",
        "mbox",
        "hbox",
        "operatorname",
        "underline",
        "uline",
        "overbrace",
        "underbrace",
        "url",
        "enquote",
        "texorpdfstring",
        "mathbin",
        "mathrel",
        "mathop",
        "smash",
        "boxed",
    ]
)
# Arguments that are not prose (citations, labels, colours): dropped.
DROP_ARGUMENT = frozenset(
    ["cite", "citep", "citet", "citealp", "citeauthor", "ref", "eqref", "label", "color"]
)
# Declarations that change fonts or sizes: no text of their own.
SWITCHES = frozenset(
    [
        "rm",
        "bf",
        "it",
        "em",
        "sc",
        "tt",
        "sf",
        "sl",
        "cal",
        "bfseries",
        "itshape",
        "ttfamily",
        "scshape",
        "rmfamily",
        "sffamily",
        "mdseries",
        "upshape",
        "normalfont",
        "boldmath",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "scriptscriptstyle",
        "left",
        "right",
        "middle",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "biggl",
        "biggr",
        "limits",
        "nolimits",
        "tiny",
        "scriptsize",
        "footnotesize",
        "small",
        "normalsize",
        "large",
        "Large",
        "LARGE",
        "huge",
        "Huge",
        "noindent",
        "centering",
        "nonumber",
        "protect",
        "relax",
        "footnotemark",
    ]
)
# Math accents: the combining character put after a one-letter argument.
ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
    "tilde": "\u0303", "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308",
    "vec": "\u20d7", "check": "\u030c", "breve": "\u0306", "acute": "\u0301",
    "grave": "\u0300", "mathring": "\u030a",
}  # fmt: skip
DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
# A backslash and one non-letter.
CONTROL_SYMBOLS = {
    "%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}", "|": "‖",
    ",": "\u2009", ":": " ", ";": " ", ">": " ", " ": " ", "!": "", "-": "", "/": "",
    "\\": " ",
}  # fmt: skip
# Unicode has super- and subscript digits and signs that every font draws; letters (but n, i)
# are patchy, so those go in <sup>/<sub>.
SUPERSCRIPT_CHARS = frozenset("0123456789+-−=()ni")
SUBSCRIPT_CHARS = frozenset("0123456789+-−=()")
SUPERSCRIPT = str.maketrans("0123456789+-−=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ")
SUBSCRIPT = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
# Superscripts that are symbols of their own: x^\circ is "x°", not "x<sup>∘</sup>".
SCRIPT_WORDS = {"∘": "°", "′": "′", "′′": "″", "'": "′", "''": "″"}
ROOTS = {"3": "∛", "4": "∜"}
