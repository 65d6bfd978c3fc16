"""Code repositories and project pages found in abstracts and comments, as arXiv writes them."""

from __future__ import annotations

import pytest

from paperboard.domain.links import find_links

GH = "https://github.com/owner/repo"


@pytest.mark.parametrize(
    ("text", "repos", "project"),
    [
        # The common sentence, with the full stop that ends it.
        ("Code is available at https://github.com/owner/repo.", [GH], None),
        ("Our code is publicly available at https://github.com/owner/repo", [GH], None),
        (
            "The code will be released at https://github.com/owner/repo-name_v2.",
            ["https://github.com/owner/repo-name_v2"],
            None,
        ),
        # arXiv hard-wraps abstracts, sometimes inside a URL.
        ("Code: https://github.com/\nowner/repo", [GH], None),
        ("Code: https://github.com/\n  owner/repo.", [GH], None),
        ("Code is available at\nhttps://github.com/owner/repo.", [GH], None),
        # Without a scheme.
        ("code at github.com/owner/repo and more", [GH], None),
        ("code at github.com/owner/repo.", [GH], None),
        ("www.github.com/owner/repo", [GH], None),
        ("see gitlab.com/group/project", ["https://gitlab.com/group/project"], None),
        # Punctuation and TeX glued to the URL.
        ("(see https://github.com/owner/repo)", [GH], None),
        ("[https://github.com/owner/repo]", [GH], None),
        ('"https://github.com/owner/repo"', [GH], None),
        ("at https://github.com/owner/repo; models at ...", [GH], None),
        (r"\url{https://github.com/owner/repo}", [GH], None),
        (r"Code: \url{https://github.com/owner/repo}.", [GH], None),
        (r"\href{https://github.com/owner/repo}{here}", [GH], None),
        ("available at https://github.com/owner/repo}.", [GH], None),
        # Deeper links and variants name the repository.
        ("https://github.com/owner/repo/tree/main/src", [GH], None),
        ("https://github.com/owner/repo/blob/main/README.md", [GH], None),
        ("https://github.com/owner/repo.git", [GH], None),
        ("https://github.com/owner/repo?tab=readme", [GH], None),
        ("https://github.com/owner/repo#readme", [GH], None),
        ("https://www.github.com/owner/repo", [GH], None),
        ("HTTPS://GITHUB.COM/owner/repo", [GH], None),
        ("http://github.com/owner/repo", [GH], None),
        # Other code hosts.
        ("https://gitlab.com/group/project", ["https://gitlab.com/group/project"], None),
        ("https://bitbucket.org/team/tool", ["https://bitbucket.org/team/tool"], None),
        ("https://codeberg.org/me/lib", ["https://codeberg.org/me/lib"], None),
        # Hugging Face: a model repository is code; papers, datasets and docs are not.
        (
            "weights at https://huggingface.co/owner/model",
            ["https://huggingface.co/owner/model"],
            None,
        ),
        ("https://huggingface.co/papers/2401.01234", [], None),
        ("https://huggingface.co/datasets/owner/data", [], None),
        ("https://huggingface.co/docs/transformers/index", [], None),
        ("https://huggingface.co/blog/some-post", [], None),
        # Not a repository.
        ("https://github.com/owner", [], None),
        ("https://github.com/orgs/owner/repositories", [], None),
        ("https://github.com/topics/llm", [], None),
        # Project pages.
        ("Project page: https://x.github.io/y", [], "https://x.github.io/y"),
        ("Project page: https://x.github.io/y.", [], "https://x.github.io/y"),
        ("See https://x.github.io/y for videos", [], "https://x.github.io/y"),
        ("Project website: https://example.com/proj", [], "https://example.com/proj"),
        ("Our homepage https://example.org", [], "https://example.org"),
        ("Demo: https://example.com/demo", [], "https://example.com/demo"),
        # A URL that is neither: no hint around it.
        ("We build on https://pytorch.org and others", [], None),
        ("Data from https://sites.google.com/view/benchmark", [], None),
        # Identifiers and licences are never project pages, even near a hint.
        ("see the website https://arxiv.org/abs/2401.01234", [], None),
        ("website: https://doi.org/10.1000/xyz", [], None),
        ("website https://creativecommons.org/licenses/by/4.0/", [], None),
        # No link at all.
        ("no links here", [], None),
        ("We study github-style code review at scale.", [], None),
        ("", [], None),
        # Both, in one text.
        (
            "Code: https://github.com/owner/repo. Project page: https://owner.github.io/repo/",
            [GH],
            "https://owner.github.io/repo/",
        ),
        # Duplicates collapse (case-insensitively, first spelling kept); order is kept.
        (
            "https://github.com/owner/repo and https://github.com/owner/repo/ and "
            "https://github.com/Owner/Repo.git and github.com/owner/repo",
            [GH],
            None,
        ),
        (
            "https://github.com/b/two then https://github.com/a/one",
            ["https://github.com/b/two", "https://github.com/a/one"],
            None,
        ),
    ],
)
def test_find_links(text: str, repos: list[str], project: str | None) -> None:
    assert find_links(text) == (repos, project)


@pytest.mark.parametrize(
    ("texts", "repos", "project"),
    [
        ((None,), [], None),
        ((None, None), [], None),
        ((), [], None),
        (("abstract without links", None), [], None),
        # Abstract first, then comments; the same repository in both counts once.
        (
            ("Code at https://github.com/a/b.", "Comments: code at https://github.com/a/b"),
            ["https://github.com/a/b"],
            None,
        ),
        (
            ("https://github.com/a/b", "https://github.com/c/d"),
            ["https://github.com/a/b", "https://github.com/c/d"],
            None,
        ),
        # The first project page found wins.
        (
            ("Project page: https://x.github.io/y", "Project page: https://z.github.io/w"),
            [],
            "https://x.github.io/y",
        ),
        (
            ("", "15 pages. Project page: https://z.github.io/w"),
            [],
            "https://z.github.io/w",
        ),
    ],
)
def test_find_links_in_several_texts(
    texts: tuple[str | None, ...], repos: list[str], project: str | None
) -> None:
    assert find_links(*texts) == (repos, project)


def test_real_abstract() -> None:
    # Shaped like arXiv's snapshot: hard-wrapped at ~80 columns, URL at the end of a sentence.
    abstract = (
        "  We present a method for learning representations of scientific papers. Our\n"
        "experiments on three benchmarks show consistent gains over strong baselines. The\n"
        "code and pretrained models are available at\n"
        "https://github.com/allenai/specter.\n"
    )
    comments = "12 pages, 4 figures. Project page: https://specter.github.io/"
    assert find_links(abstract, comments) == (
        ["https://github.com/allenai/specter"],
        "https://specter.github.io/",
    )


def test_result_lists_are_fresh() -> None:
    first, _ = find_links("https://github.com/a/b")
    first.append("mutated")
    assert find_links("https://github.com/a/b") == (["https://github.com/a/b"], None)
