"""Settings from PAPERBOARD_* variables: defaults, validation with one-line errors, the docs."""

from __future__ import annotations

import secrets
from dataclasses import fields
from pathlib import Path

import pytest

from paperboard.config import (
    DEFAULT_CATEGORIES,
    SETTINGS,
    Settings,
    SettingsError,
    load_settings,
    settings_markdown,
    shown_settings,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.data_dir == Path("paperboard-data")
    assert settings.database_url == f"sqlite:///{Path('paperboard-data').resolve()}/paperboard.db"
    assert settings.is_sqlite
    assert settings.categories == DEFAULT_CATEGORIES == ("cs.AI", "cs.CL", "cs.CV", "cs.LG")
    assert settings.sync_on_start is True
    assert settings.sync_days == 3
    assert settings.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert settings.arxiv_oai_url == "https://oaipmh.arxiv.org/oai"
    assert settings.arxiv_rss_url == "https://rss.arxiv.org/rss"
    assert settings.hf_api_url == "https://huggingface.co/api"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.workers == 1
    assert settings.embedder_device == "cpu"
    assert settings.log_level == "info"
    assert settings.extra == {}


def test_reads_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERBOARD_PORT", "9001")
    assert load_settings().port == 9001
    monkeypatch.setenv("PAPERBOARD_PORT", "nope")
    with pytest.raises(SettingsError, match="PAPERBOARD_PORT"):
        load_settings()


def test_every_setting_is_a_field() -> None:
    assert {s.name for s in SETTINGS} == {f.name for f in fields(Settings)} - {"extra"}
    assert all(s.env == "PAPERBOARD_" + s.name.upper() for s in SETTINGS)


# --- valid values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "attribute", "expected"),
    [
        ("PAPERBOARD_PORT", "8080", "port", 8080),
        ("PAPERBOARD_PORT", " 8080 ", "port", 8080),
        ("PAPERBOARD_PORT", "1", "port", 1),
        ("PAPERBOARD_PORT", "65535", "port", 65535),
        ("PAPERBOARD_WORKERS", "4", "workers", 4),
        ("PAPERBOARD_SYNC_DAYS", "60", "sync_days", 60),
        ("PAPERBOARD_SYNC_ON_START", "false", "sync_on_start", False),
        ("PAPERBOARD_SYNC_ON_START", "0", "sync_on_start", False),
        ("PAPERBOARD_SYNC_ON_START", "No", "sync_on_start", False),
        ("PAPERBOARD_SYNC_ON_START", "off", "sync_on_start", False),
        ("PAPERBOARD_SYNC_ON_START", "TRUE", "sync_on_start", True),
        ("PAPERBOARD_SYNC_ON_START", "1", "sync_on_start", True),
        ("PAPERBOARD_SYNC_ON_START", "yes", "sync_on_start", True),
        ("PAPERBOARD_SYNC_ON_START", " on ", "sync_on_start", True),
        ("PAPERBOARD_LOG_LEVEL", "DEBUG", "log_level", "debug"),
        ("PAPERBOARD_LOG_LEVEL", "warning", "log_level", "warning"),
        ("PAPERBOARD_HOST", "0.0.0.0", "host", "0.0.0.0"),
        (
            "PAPERBOARD_BASE_URL",
            "https://papers.example.org/",
            "base_url",
            "https://papers.example.org",
        ),
        (
            "PAPERBOARD_ARXIV_API_URL",
            "http://127.0.0.1:9999/api",
            "arxiv_api_url",
            "http://127.0.0.1:9999/api",
        ),
        (
            "PAPERBOARD_HF_API_URL",
            "http://localhost:1/api/",
            "hf_api_url",
            "http://localhost:1/api",
        ),
        ("PAPERBOARD_CATEGORIES", "cs.LG", "categories", ("cs.LG",)),
        ("PAPERBOARD_CATEGORIES", "cs.LG cs.CL", "categories", ("cs.LG", "cs.CL")),
        ("PAPERBOARD_CATEGORIES", "cs.LG,cs.CL", "categories", ("cs.LG", "cs.CL")),
        (
            "PAPERBOARD_CATEGORIES",
            " cs.LG , cs.CL  stat.ML ",
            "categories",
            ("cs.LG", "cs.CL", "stat.ML"),
        ),
        ("PAPERBOARD_CATEGORIES", "hep-th math.GT", "categories", ("hep-th", "math.GT")),
        ("PAPERBOARD_EMBEDDER_DEVICE", "CUDA", "embedder_device", "cuda"),
    ],
)
def test_valid_values(variable: str, value: str, attribute: str, expected: object) -> None:
    assert getattr(load_settings({variable: value}), attribute) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgres://u:p@db:5432/papers", "postgresql://u:p@db:5432/papers"),
        ("postgres+psycopg://u:p@db/papers", "postgresql+psycopg://u:p@db/papers"),
        ("postgresql://u:p@db:5432/papers", "postgresql://u:p@db:5432/papers"),
        ("postgresql+psycopg://u@db/papers", "postgresql+psycopg://u@db/papers"),
        ("sqlite:////var/lib/paperboard/p.db", "sqlite:////var/lib/paperboard/p.db"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
    ],
)
def test_database_url(value: str, expected: str) -> None:
    settings = load_settings({"PAPERBOARD_DATABASE_URL": value})
    assert settings.database_url == expected
    assert settings.is_sqlite == expected.startswith("sqlite")


def test_postgres_normalisation_only_touches_the_scheme() -> None:
    url = "postgres://postgres:postgres@postgres:5432/postgres"
    expected = "postgresql://postgres:postgres@postgres:5432/postgres"
    assert load_settings({"PAPERBOARD_DATABASE_URL": url}).database_url == expected


def test_database_url_defaults_inside_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "my data"
    settings = load_settings({"PAPERBOARD_DATA_DIR": str(data_dir)})
    assert settings.data_dir == data_dir
    assert settings.database_url == f"sqlite:///{data_dir.resolve()}/paperboard.db"
    # An explicit URL is not replaced.
    explicit = load_settings(
        {"PAPERBOARD_DATA_DIR": str(data_dir), "PAPERBOARD_DATABASE_URL": "sqlite:////x/y.db"}
    )
    assert explicit.database_url == "sqlite:////x/y.db"


def test_data_dir_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = load_settings({"PAPERBOARD_DATA_DIR": "~/pb"})
    assert settings.data_dir == tmp_path / "pb"
    assert settings.database_url == f"sqlite:///{tmp_path}/pb/paperboard.db"


def test_overrides_win() -> None:
    settings = load_settings({"PAPERBOARD_PORT": "9000"}, port=1234, host="::1")
    assert (settings.port, settings.host) == (1234, "::1")


def test_unknown_variables_are_listed_not_fatal() -> None:
    settings = load_settings({"PAPERBOARD_PROT": "80", "PAPERBOARD_PORT": "81", "HOME": "/x"})
    assert settings.extra == {"PAPERBOARD_PROT": "80"}
    assert settings.port == 81


# --- invalid values ----------------------------------------------------------------------------


_INVALID = [
    ("PAPERBOARD_PORT", "abc"),
    ("PAPERBOARD_PORT", ""),
    ("PAPERBOARD_PORT", "0"),
    ("PAPERBOARD_PORT", "65536"),
    ("PAPERBOARD_PORT", "-1"),
    ("PAPERBOARD_PORT", "80.5"),
    ("PAPERBOARD_WORKERS", "0"),
    ("PAPERBOARD_WEB_THREADS", "0"),
    ("PAPERBOARD_WEB_THREADS", "many"),
    ("PAPERBOARD_WORKERS", "65"),
    ("PAPERBOARD_WORKERS", "many"),
    ("PAPERBOARD_SYNC_DAYS", "0"),
    ("PAPERBOARD_SYNC_DAYS", "61"),
    ("PAPERBOARD_SYNC_DAYS", "three"),
    ("PAPERBOARD_SYNC_ON_START", "maybe"),
    ("PAPERBOARD_SYNC_ON_START", "2"),
    ("PAPERBOARD_LOG_LEVEL", "verbose"),
    ("PAPERBOARD_LOG_LEVEL", "critical\nmore"),
    ("PAPERBOARD_DATABASE_URL", "mysql://u:p@h/db"),
    ("PAPERBOARD_DATABASE_URL", "/var/lib/paperboard.db"),
    ("PAPERBOARD_DATABASE_URL", "paperboard.db"),
    ("PAPERBOARD_CATEGORIES", "cs.LG;rm -rf"),
    ("PAPERBOARD_CATEGORIES", "cs.LG cs/CL"),
    ("PAPERBOARD_CATEGORIES", "<script>"),
    ("PAPERBOARD_ARXIV_API_URL", "ftp://export.arxiv.org/api/query"),
    ("PAPERBOARD_ARXIV_API_URL", "export.arxiv.org/api/query"),
    ("PAPERBOARD_ARXIV_HTML_URL", "javascript:alert(1)"),
    ("PAPERBOARD_FULL_TEXT", "sometimes"),
    ("PAPERBOARD_ARXIV_OAI_URL", "not a url"),
    ("PAPERBOARD_ARXIV_RSS_URL", "https://"),
    ("PAPERBOARD_HF_API_URL", "file:///etc/passwd"),
    ("PAPERBOARD_BASE_URL", "localhost:8000"),
    ("PAPERBOARD_BASE_URL", ""),
    ("PAPERBOARD_SMTP_URL", "mail.example.org:587"),
    ("PAPERBOARD_SMTP_URL", "smtps://host?starttls=1"),
    ("PAPERBOARD_SMTP_URL", "smtp://host:99999"),
    ("PAPERBOARD_MAIL_FROM", "digest"),
    ("PAPERBOARD_MAIL_FROM", "digest@example.org\nBcc: x@example.org"),
    ("PAPERBOARD_SECRET_KEY", "short"),
    ("PAPERBOARD_DIGEST_DAILY_AT", "7am"),
    ("PAPERBOARD_DIGEST_DAILY_AT", "24:00"),
    ("PAPERBOARD_DIGEST_WEEKLY_DAY", "mo"),
    ("PAPERBOARD_DIGEST_WEEKLY_DAY", "funday"),
    ("PAPERBOARD_SUBMIT_WINDOW_DAYS", "0"),
    ("PAPERBOARD_KEYWORD_INDEX", "elasticsearch"),
    ("PAPERBOARD_KEYWORD_INDEX", "postgres"),  # the default database is SQLite
    ("PAPERBOARD_SUBMIT_WINDOW_DAYS", "two weeks"),
    ("PAPERBOARD_EMBEDDER", "bert"),
    ("PAPERBOARD_EMBEDDER", "sentence-transformers:"),
    ("PAPERBOARD_EMBEDDER_MAX_TOKENS", "4"),
    ("PAPERBOARD_EMBEDDER_MAX_TOKENS", "600"),
    ("PAPERBOARD_EMBEDDER_THREADS", "0"),
    ("PAPERBOARD_EMBEDDER_DEVICE", "gpu"),
    ("PAPERBOARD_ENVIRONMENT", "staging"),
    ("PAPERBOARD_HEADER_TIMEOUT", "0"),
    ("PAPERBOARD_HEADER_TIMEOUT", "a minute"),
]


@pytest.mark.parametrize(("variable", "value"), _INVALID)
def test_invalid_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({variable: value})
    message = str(info.value)
    assert message.startswith(f"{variable}=")
    assert "\n" not in message  # one line, even for a value with a newline
    assert "invalid" in message
    assert isinstance(info.value, ValueError)


def test_every_validated_setting_has_an_invalid_case() -> None:
    # Settings that accept any text: the data dir (a path) and the bind address.
    free_text = {"PAPERBOARD_DATA_DIR", "PAPERBOARD_HOST", "PAPERBOARD_EMBEDDER_TOKENIZER"}
    covered = {variable for variable, _ in _INVALID}
    assert covered == {s.env for s in SETTINGS} - free_text


def test_production_refuses_a_missing_secret_key() -> None:
    with pytest.raises(SettingsError, match="PAPERBOARD_SECRET_KEY"):
        load_settings(
            {"PAPERBOARD_ENVIRONMENT": "production", "PAPERBOARD_BASE_URL": "https://p.example"}
        )


def test_production_refuses_plain_http_links() -> None:
    with pytest.raises(SettingsError, match="https://"):
        load_settings(
            {"PAPERBOARD_ENVIRONMENT": "production", "PAPERBOARD_SECRET_KEY": secrets.token_hex(32)}
        )


def test_production_starts_with_a_key_and_https() -> None:
    settings = load_settings(
        {
            "PAPERBOARD_ENVIRONMENT": "production",
            "PAPERBOARD_SECRET_KEY": secrets.token_hex(32),
            "PAPERBOARD_BASE_URL": "https://papers.example.org",
        }
    )
    assert settings.environment == "production"


# Secrets (and URLs with a password in them) are never echoed in the start-up error: logs and
# terminals are read by more people than the secret is for.
@pytest.mark.parametrize(
    ("variable", "value", "secret"),
    [
        ("PAPERBOARD_SECRET_KEY", "hunter2-but-too-short", "hunter2"),
        ("PAPERBOARD_SMTP_URL", "smtp://ada:hunter2@mail.example.org?tls=1", "hunter2"),
        ("PAPERBOARD_SMTP_URL", "smtp://ada:hunter2@mail.example.org:99999", "hunter2"),
        ("PAPERBOARD_DATABASE_URL", "mysql://ada:hunter2@db.example.org/papers", "hunter2"),
        ("PAPERBOARD_DATABASE_URL", "postgresql://ada:hunter2@[db/papers", "hunter2"),
    ],
)
def test_an_invalid_secret_is_not_printed(variable: str, value: str, secret: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({variable: value})
    message = str(info.value)
    assert message.startswith(f"{variable}=") and "invalid" in message
    assert secret not in message


# A key of repeated or sequential characters has the length but not the randomness: whoever
# guesses it forges every emailed link, CSRF token and reset link.
@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "ab" * 20,
        "abcdefghijklmnopqrstuvwxyz012345",
        "0123456789abcdef" * 4,
        "password" * 5,
    ],
)
def test_production_refuses_a_guessable_secret_key(key: str) -> None:
    environ = {
        "PAPERBOARD_ENVIRONMENT": "production",
        "PAPERBOARD_SECRET_KEY": key,
        "PAPERBOARD_BASE_URL": "https://papers.example.org",
    }
    with pytest.raises(SettingsError, match="PAPERBOARD_SECRET_KEY") as info:
        load_settings(environ)
    assert key not in str(info.value) and "openssl rand" in str(info.value)


def test_production_accepts_random_keys_of_the_usual_kinds() -> None:
    for _ in range(200):
        for key in (secrets.token_hex(16), secrets.token_hex(32), secrets.token_urlsafe(32)):
            environ = {
                "PAPERBOARD_ENVIRONMENT": "production",
                "PAPERBOARD_SECRET_KEY": key,
                "PAPERBOARD_BASE_URL": "https://papers.example.org",
            }
            assert load_settings(environ).secret_key is not None, key


def test_shown_settings_hide_secrets() -> None:
    settings = load_settings(
        {
            "PAPERBOARD_DATABASE_URL": "postgresql://ada:hunter2@db.example.org/papers",
            "PAPERBOARD_SMTP_URL": "smtp://ada:hunter2@mail.example.org:587",
            "PAPERBOARD_SECRET_KEY": secrets.token_hex(32),
            "PAPERBOARD_SECRTE_KEY": "a misspelt hunter2",
        }
    )
    shown = "\n".join(f"{name}: {value}" for name, value in shown_settings(settings))
    assert "hunter2" not in shown and settings.secret_key.reveal() not in shown
    assert "postgresql://ada:***@db.example.org/papers" in shown
    assert "PAPERBOARD_SECRTE_KEY" in shown


def test_embedder_settings_are_validated() -> None:
    settings = load_settings(
        {
            "PAPERBOARD_EMBEDDER": "sentence-transformers:all-mpnet-base-v2",
            "PAPERBOARD_EMBEDDER_MAX_TOKENS": "256",
        }
    )
    assert settings.embedder == "sentence-transformers:all-mpnet-base-v2"
    assert settings.embedder_max_tokens == 256


def test_first_invalid_setting_is_reported_even_with_valid_ones() -> None:
    with pytest.raises(SettingsError, match="PAPERBOARD_WORKERS"):
        load_settings({"PAPERBOARD_PORT": "8080", "PAPERBOARD_WORKERS": "0"})


# --- docs --------------------------------------------------------------------------------------


def test_settings_markdown_lists_every_variable() -> None:
    markdown = settings_markdown()
    assert markdown.startswith("# Configuration\n")
    table_rows = [line for line in markdown.splitlines() if line.startswith("| `PAPERBOARD_")]
    assert len(table_rows) == len(SETTINGS)
    for setting, row in zip(SETTINGS, table_rows, strict=True):
        assert row.startswith(f"| `{setting.env}` |")
        if setting.default is not None:
            assert f"`{setting.default}`" in row
        assert setting.help in row


def test_configuration_doc_is_generated() -> None:
    doc = PROJECT_ROOT / "docs" / "configuration.md"
    if not doc.exists():
        pytest.skip("docs/configuration.md not written yet")
    text = doc.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, f"{setting.env} missing from docs/configuration.md"
