"""Settings: declared once as data with help text, read from ``PAPERBOARD_*`` variables, validated.

An invalid value stops the program with one line naming the variable (see ``SettingsError``).
``docs/configuration.md`` is generated from ``SETTINGS`` (``paperboard config --markdown``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any

from paperboard.config.values import (
    MIN_SECRET_KEY_BITS,
    Secret,
    _hidden,
    _parse_bool,
    _parse_categories,
    _parse_database_url,
    _parse_embedder,
    _parse_int,
    _parse_mail_from,
    _parse_secret_key,
    _parse_smtp_url,
    _parse_time_of_day,
    _parse_url,
    _parse_weekday,
)
from paperboard.domain.secret_text import HIDDEN, estimated_entropy_bits, redact_url

ENV_PREFIX = "PAPERBOARD_"
KEYWORD_INDEXES = ("auto", "tantivy", "postgres")
DEFAULT_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG")


class SettingsError(ValueError):
    """A setting has an invalid value. ``str()`` is the one-line message shown to the user."""


@dataclass(frozen=True)
class Setting:
    name: str  # attribute name; the variable is PAPERBOARD_<NAME>
    help: str
    default: str | None
    parse: Callable[[str], Any] = str
    # How a value is shown in error messages: secrets never appear (None: as it is).
    redact: Callable[[str], str] | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        "Folder for the SQLite database, the vector index and caches. Created if missing.",
        "./paperboard-data",
        lambda v: Path(v).expanduser(),
    ),
    Setting(
        "database_url",
        "Database URL. Default: the SQLite file `paperboard.db` in the data dir. A "
        "`postgresql://user:pass@host:5432/db` URL selects PostgreSQL (needs pgvector).",
        None,
        _parse_database_url,
        redact_url,
    ),
    Setting(
        "keyword_index",
        "Keyword search engine: `tantivy` (an index in the data dir, kept in step with the "
        "database by `serve`, `worker` and `paperboard index sync`; on PostgreSQL every web "
        "machine keeps its own), `postgres` (the database's tsvector column: no local state, "
        "but slower and ranked less well at a million papers, see docs/scaling.md; PostgreSQL "
        "only) or `auto` (tantivy).",
        "auto",
        lambda v: _choice(v, KEYWORD_INDEXES),
    ),
    Setting(
        "categories",
        "arXiv categories to sync from arXiv (space or comma separated).",
        " ".join(DEFAULT_CATEGORIES),
        _parse_categories,
    ),
    Setting(
        "sync_on_start",
        "On `serve`, sync recent papers from arXiv and Hugging Face in the background.",
        "true",
        _parse_bool,
    ),
    Setting(
        "sync_days",
        "How many recent days the start-up sync fetches.",
        "3",
        _parse_int(1, 60),
    ),
    Setting(
        "arxiv_api_url",
        "arXiv API endpoint (Atom).",
        "https://export.arxiv.org/api/query",
        _parse_url,
    ),
    Setting(
        "arxiv_html_url",
        "arXiv's HTML renderings of papers: `/papers/{id}.md`, the paper page as Markdown and "
        "the MCP `read_paper` tool fetch `{this}/{id}` on first read and keep the text.",
        "https://arxiv.org/html",
        _parse_url,
    ),
    Setting(
        "full_text",
        "Fetch papers' full texts from arXiv's HTML renderings on demand (see "
        "PAPERBOARD_ARXIV_HTML_URL). Off: the Markdown page has the abstract only.",
        "true",
        _parse_bool,
    ),
    Setting(
        "arxiv_oai_url",
        "arXiv OAI-PMH endpoint.",
        "https://oaipmh.arxiv.org/oai",
        _parse_url,
    ),
    Setting(
        "arxiv_rss_url",
        "arXiv listing feeds base URL.",
        "https://rss.arxiv.org/rss",
        _parse_url,
    ),
    Setting(
        "hf_api_url",
        "Hugging Face API base URL for daily papers.",
        "https://huggingface.co/api",
        _parse_url,
    ),
    Setting(
        "base_url",
        "The public URL of this paperboard, used in links in emails and feeds.",
        "http://127.0.0.1:8000",
        _parse_url,
    ),
    Setting("host", "Address `serve` binds to.", "127.0.0.1"),
    Setting("port", "Port `serve` listens on.", "8000", _parse_int(1, 65535)),
    Setting("workers", "Web processes `serve` starts.", "1", _parse_int(1, 64)),
    Setting(
        "header_timeout",
        "Seconds `serve` gives a client to send a request's line and headers before it closes "
        "the connection, so that slow or silent clients cannot hold connections open "
        "(uvicorn has no such limit of its own).",
        "10",
        _parse_int(1, 300),
    ),
    Setting(
        "web_threads",
        "Threads per web process that build responses (pages, API, search) off its event loop; "
        "calls to arXiv and mail servers never run on them. More let slow requests (a password "
        "hash) block fewer others, but the "
        "builds share Python's interpreter lock with the event loop that answers cached pages: "
        "under a burst of first views of paper pages on PostgreSQL, 4 served 1.3-2.1x more "
        "than 8 and never timed out, where 8 did (docs/benchmarks.md).",
        "4",
        _parse_int(1, 256),
    ),
    Setting(
        "log_level",
        "Logging level: debug, info, warning or error.",
        "info",
        lambda v: _choice(v, ("debug", "info", "warning", "error")),
    ),
    Setting(
        "smtp_url",
        "Mail server for digests and confirmations, e.g. "
        "`smtp://user:pass@host:587?starttls=1` or `smtps://user:pass@host:465` "
        "(`starttls` defaults to 1 when the URL has a user; `timeout=` seconds). "
        "Unset: subscribing is switched off.",
        None,
        _parse_smtp_url,
        redact_url,
    ),
    Setting(
        "mail_from",
        "Sender of digests, e.g. `paperboard <digest@example.org>`. "
        "Default: `digest@` the host of PAPERBOARD_BASE_URL.",
        None,
        _parse_mail_from,
    ),
    Setting(
        "secret_key",
        "Key that signs the links in emails (confirm, unsubscribe, manage); at least "
        "32 characters, the same on every process; in production it must look random "
        "(repeated or sequential characters are refused). Default: a random key kept in "
        "`secret_key` in the data dir.",
        None,
        _parse_secret_key,
        _hidden,
    ),
    Setting(
        "digest_daily_at",
        "When the worker sends daily digests (HH:MM, UTC); weekly ones go out at the same time.",
        "07:00",
        _parse_time_of_day,
    ),
    Setting(
        "digest_weekly_day",
        "The day weekly digests (of the previous ISO week) go out.",
        "monday",
        _parse_weekday,
    ),
    Setting(
        "embedder",
        "Sentence embedder for semantic search and similar papers: `minilm-int8` (bundled, "
        "onnxruntime), `hashing` (no model; tests and demos), "
        "`sentence-transformers:NAME` (a locally available model; on a GPU when present) "
        "or `off` (keyword search only, no background embedding).",
        "minilm-int8",
        _parse_embedder,
    ),
    Setting(
        "embedder_tokenizer",
        "A `tokenizer.json` (or a zip holding one) for the MiniLM embedder. Default: the "
        "tokenizer bundled with paperboard.",
        None,
        lambda v: Path(v).expanduser(),
    ),
    Setting(
        "embedder_max_tokens",
        "Word pieces embedded per paper (title first). 128 is twice as fast as 256 at a small "
        "quality cost (docs/benchmarks.md).",
        "128",
        _parse_int(8, 512),
    ),
    Setting(
        "embedder_threads",
        "CPU threads the embedder uses. Default: onnxruntime's choice for `paperboard embed`, "
        "one thread for the background embedding of `serve` and `worker`.",
        None,
        _parse_int(1, 256),
    ),
    Setting(
        "embedder_device",
        "Where `minilm-int8` runs: `cpu`, or `cuda` (an NVIDIA GPU through onnxruntime's CUDA "
        "provider: install `onnxruntime-gpu` in place of `onnxruntime`; paperboard stops with "
        "an error naming what is missing rather than fall back to the CPU). Vectors are the "
        "same model's, so they share one index with vectors embedded on CPUs.",
        "cpu",
        lambda v: _choice(v, ("cpu", "cuda")),
    ),
    Setting(
        "environment",
        "`development` or `production`. In production paperboard refuses to start without "
        "PAPERBOARD_SECRET_KEY and with a non-https PAPERBOARD_BASE_URL.",
        "development",
        lambda v: _choice(v, ("development", "production")),
    ),
    Setting(
        "submit_window_days",
        "Signed-in users can submit papers first published within this many days to "
        "today's board (curators can feature any paper).",
        "14",
        _parse_int(1, 3650),
    ),
)


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in allowed:
        raise ValueError(f"expected one of {', '.join(allowed)}")
    return lowered


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    categories: tuple[str, ...]
    sync_on_start: bool
    sync_days: int
    arxiv_api_url: str
    arxiv_html_url: str
    full_text: bool
    arxiv_oai_url: str
    arxiv_rss_url: str
    hf_api_url: str
    base_url: str
    host: str
    port: int
    workers: int
    header_timeout: int
    web_threads: int
    log_level: str
    smtp_url: Secret | None
    mail_from: str | None
    secret_key: Secret | None
    digest_daily_at: time
    digest_weekly_day: str
    embedder: str
    embedder_tokenizer: Path | None
    embedder_max_tokens: int
    embedder_threads: int | None
    embedder_device: str
    environment: str
    submit_window_days: int
    keyword_index: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_tantivy(self) -> bool:
        """Whether keyword search runs on a tantivy index in the data dir."""
        return self.keyword_index != "postgres"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read and validate every setting from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if raw is None:
            raw = setting.default
        if raw is None:
            values[setting.name] = None
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = setting.redact(raw) if setting.redact else raw
            raise SettingsError(f"{setting.env}={shown!r} is invalid: {exc}") from None
    values.update(overrides)
    if values["database_url"] is None:
        db_path = Path(values["data_dir"]).resolve() / "paperboard.db"
        values["database_url"] = f"sqlite:///{db_path}"
    known = {f.name for f in fields(Settings)}
    unknown = sorted(
        key
        for key in env
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() not in known
    )
    # Test-only and later-issue variables are tolerated; misspellings are listed, not fatal.
    values["extra"] = {key: env[key] for key in unknown}
    settings = Settings(**values)
    if settings.keyword_index == "postgres" and settings.is_sqlite:
        raise SettingsError(
            f"{ENV_PREFIX}KEYWORD_INDEX='postgres' is invalid: it needs a PostgreSQL "
            f"{ENV_PREFIX}DATABASE_URL (SQLite searches with tantivy)"
        )
    check_production(settings)
    return settings


def check_production(settings: Settings) -> None:
    """Production refuses the development shortcuts: a generated signing key (which differs
    between machines and is lost with the data dir) and plain-http links in emails."""
    if settings.environment != "production":
        return
    if settings.secret_key is None:
        raise SettingsError(
            f"{ENV_PREFIX}ENVIRONMENT=production needs {ENV_PREFIX}SECRET_KEY "
            "(at least 32 characters, e.g. `openssl rand -hex 32`)"
        )
    if estimated_entropy_bits(settings.secret_key.reveal()) < MIN_SECRET_KEY_BITS:
        # The key is not in the message: start-up errors end up in logs.
        raise SettingsError(
            f"{ENV_PREFIX}SECRET_KEY={HIDDEN} is invalid in production: it looks guessable "
            "(repeated or sequential characters); make a random one with `openssl rand -hex 32`"
        )
    if not settings.base_url.startswith("https://"):
        raise SettingsError(
            f"{ENV_PREFIX}ENVIRONMENT=production needs an https:// {ENV_PREFIX}BASE_URL "
            f"(got {settings.base_url!r})"
        )


def shown_settings(settings: Settings) -> list[tuple[str, str]]:
    """The settings as ``paperboard config`` prints them: secrets (the signing key, passwords
    in URLs) hidden, unknown variables named but not shown (one may be a misspelt secret)."""
    shown = []
    for item in fields(Settings):
        value = getattr(settings, item.name)
        if item.name == "extra":
            text = ", ".join(sorted(value)) + " (unknown, ignored)" if value else "none"
        elif item.name == "database_url":
            text = redact_url(value)
        else:
            text = str(value)
        shown.append((item.name, text))
    return shown


def settings_markdown() -> str:
    """The configuration reference (docs/configuration.md) generated from ``SETTINGS``."""
    lines = [
        "# Configuration",
        "",
        "paperboard reads its settings once at start from environment variables. An invalid value",
        "stops the program with a one-line error naming the variable.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default is not None else "(see meaning)"
        lines.append(f"| `{setting.env}` | {default} | {setting.help} |")
    return "\n".join(lines) + "\n"
