"""Find code repositories and project pages mentioned in an abstract or in the comments."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Hosts where a code repository lives at /owner/repo.
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co")
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\]\[]+", re.IGNORECASE)
# Bare mentions without a scheme, e.g. "code at github.com/owner/repo".
_BARE_CODE = re.compile(
    r"(?<![\w/.])(?:www\.)?(github\.com|gitlab\.com|codeberg\.org)/[\w.-]+/[\w.-]+", re.IGNORECASE
)
_BARE_HOSTS = ("github.com", "gitlab.com", "codeberg.org")
_TRAILING = ".,;:)]}'\"!?"
_PROJECT_HINT = re.compile(
    r"project\s+page|project\s+website|homepage|webpage|website|demo|github\.io", re.IGNORECASE
)
_NOT_PROJECT = ("arxiv.org", "doi.org", "creativecommons.org", "dx.doi.org")


def _clean(url: str) -> str:
    # TeX and line wrapping leave punctuation glued to URLs; arXiv wraps long URLs at newlines.
    url = url.rstrip(_TRAILING)
    while url.endswith(("\\", "}")):
        url = url[:-1]
    return url


def _code_repo(url: str) -> str | None:
    match = re.match(r"https?://(?:www\.)?([^/]+)/([^/?#]+)/([^/?#]+)", url, re.IGNORECASE)
    if not match:
        return None
    host, owner, repo = match[1].lower(), match[2], match[3]
    if host not in _CODE_HOSTS:
        return None
    if host == "huggingface.co" and owner in ("papers", "docs", "blog"):
        return None
    if host == "huggingface.co" and owner in ("spaces", "datasets"):
        return None
    if repo.endswith(".git"):
        repo = repo[:-4]
    repo = repo.rstrip(_TRAILING)
    if not repo or owner in ("orgs", "topics", "features", "about", "sponsors"):
        return None
    return f"https://{host}/{owner}/{repo}"


def find_links(*texts: str | None) -> tuple[list[str], str | None]:
    """Return (code repositories, project page) mentioned in the given texts, in order found."""
    repos: list[str] = []
    project: str | None = None
    for text in texts:
        if not text:
            continue
        lowered = text.lower()
        has_url = "http" in lowered
        has_bare = any(host in lowered for host in _BARE_HOSTS)
        if not has_url and not has_bare:
            continue  # most abstracts mention no link: skip the regular expressions
        # Undo arXiv's hard wraps inside URLs ("https://github.com/\nowner/repo").
        joined = re.sub(r"(https?://\S*?/)\s*\n\s*", r"\1", text) if has_url else text
        urls = [_clean(u) for u in _URL.findall(joined)] if has_url else []
        if has_bare:
            urls += ["https://" + _clean(m.group(0)) for m in _BARE_CODE.finditer(joined)]
        for url in urls:
            repo = _code_repo(url)
            if repo:
                if repo.lower() not in (r.lower() for r in repos):
                    repos.append(repo)
                continue
            host = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE).split("/")[0]
            if project is None and not host.lower().endswith(_NOT_PROJECT) and "." in host:
                context_start = max(0, joined.find(url) - 60)
                context = joined[context_start : joined.find(url) + len(url)]
                if _PROJECT_HINT.search(context) or host.lower().endswith("github.io"):
                    project = url
    return repos, project


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None.

    Links come from imported data (abstracts, Hugging Face JSON); a ``javascript:`` URL must
    never become an ``href``.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url
