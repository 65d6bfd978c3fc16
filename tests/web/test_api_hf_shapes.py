"""Serialisation to Hugging Face's shapes: values, derived ids, highlights, and the schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from paperboard.domain.hf_values import hf_user as user
from paperboard.domain.paper import PaperRecord
from paperboard.search.highlight import prefix_pattern
from paperboard.storage.listing import ListedPaper
from paperboard.web.api.hf_shapes import (
    HfDailyPaper,
    HfPaperInfo,
    HfSearchResult,
    daily_item,
    highlight,
    iso,
    object_id,
    paper_info,
    search_item,
)
from tests.api_site import build_site


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 26, tzinfo=UTC), "2026-11-26T00:00:00.000Z"),
        (datetime(2024, 6, 13, 1, 59, 44, 496789, tzinfo=UTC), "2024-06-13T01:59:44.496Z"),
        (
            datetime(2024, 6, 13, 3, 0, tzinfo=timezone(timedelta(hours=2))),
            "2024-06-13T01:00:00.000Z",
        ),
        (None, None),
    ],
)
def test_iso(moment: datetime | None, expected: str | None) -> None:
    assert iso(moment) == expected


def test_object_ids_are_stable_distinct_and_hex() -> None:
    first = object_id("author", "2401.01234", "0")
    assert first == object_id("author", "2401.01234", "0")
    assert len(first) == 24 and int(first, 16) >= 0
    others = {
        object_id("author", "2401.01234", "1"),
        object_id("author", "2401.01235", "0"),
        object_id("discussion", "2401.01234"),
        object_id("user", "2401.01234"),
    }
    assert first not in others and len(others) == 4


def test_user_shape() -> None:
    assert user(None, "Someone") is None
    shaped = user("alice", None)
    assert shaped is not None
    assert shaped["name"] == shaped["user"] == shaped["fullname"] == "alice"
    assert shaped["avatarUrl"] is None and shaped["type"] == "user"


def segments(text: str, query: str) -> list[tuple[str, str]]:
    return [(s["type"][0], s["text"]) for s in highlight(text, prefix_pattern(query))]


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        (
            "The Llama 3 Herd of Models",
            "llama 3 herd",
            [
                ("t", "The "),
                ("h", "Llama"),
                ("t", " "),
                ("h", "3"),
                ("t", " "),
                ("h", "Herd"),
                ("t", " of Models"),
            ],
        ),
        # A query word marks the start of a longer word, as Hugging Face does.
        (
            "speech recognition for Kazakhstan: Kazakh",
            "kazakh",
            [("t", "speech recognition for "), ("h", "Kazakh"), ("t", "stan: "), ("h", "Kazakh")],
        ),
        # ...but not the inside of a word.
        ("KazQAD and preKazakh", "kazakh", [("t", "KazQAD and preKazakh")]),
        # Plurals find singulars; the longest alternative wins.
        ("model models", "models", [("h", "model"), ("t", " "), ("h", "models")]),
        # Query syntax is plain text.
        ("a (b) c*", "(b) c*", [("t", "a ("), ("h", "b"), ("t", ") "), ("h", "c"), ("t", "*")]),
        ("nothing here", "", [("t", "nothing here")]),
        ("", "word", []),
    ],
)
def test_highlight(text: str, query: str, expected: list[tuple[str, str]]) -> None:
    assert segments(text, query) == expected


def test_highlight_matches_hugging_face_on_a_recorded_summary(fixtures_dir: Path) -> None:
    import orjson

    recorded = orjson.loads(
        (fixtures_dir / "hf_daily_papers" / "hf_papers_search_q-kazakh.json").read_bytes()
    )
    item = next(i for i in recorded if i["paper"]["id"] == "2108.01280")
    ours = highlight(item["summary"], prefix_pattern("kazakh"))
    assert ours[:4] == item["highlightedSummary"][:4]


def listed(**fields: Any) -> ListedPaper:
    record = PaperRecord(
        arxiv_id="2401.01234",
        title="A title",
        abstract="An abstract.",
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        published_at=datetime(2024, 1, 2, tzinfo=UTC),
    )
    values: dict[str, Any] = {
        "paper": record,
        "paper_id": 1,
        "upvotes": 2,
        "num_comments": 0,
        "local_comments": 0,
    }
    values.update(fields)
    return ListedPaper(**values)


def test_item_of_a_paper_never_featured_falls_back_to_its_date() -> None:
    item = daily_item(listed())
    assert item["publishedAt"] == "2024-01-02T00:00:00.000Z"
    assert item["submittedBy"] is None and item["paper"]["submittedOnDailyAt"] is None


def test_item_of_a_featured_paper() -> None:
    item = daily_item(
        listed(
            featured_day=date(2024, 1, 3),
            featured_at=datetime(2024, 1, 3, 5, tzinfo=UTC),
            featured_by="bob",
            featured_by_fullname="Bob B",
        )
    )
    assert item["publishedAt"] == item["paper"]["submittedOnDailyAt"] == "2024-01-03T05:00:00.000Z"
    assert item["submittedBy"]["fullname"] == "Bob B"
    assert item["paper"]["submittedOnDailyBy"] == item["submittedBy"]


# --- the documented schema is what the builders produce ----------------------------------------


@pytest.mark.parametrize(
    ("model", "value"),
    [
        (HfDailyPaper, daily_item(listed())),
        (HfSearchResult, search_item(listed(), prefix_pattern("title"))),
        (HfPaperInfo, paper_info(listed())),
    ],
)
def test_builders_validate_against_the_models(model: type[BaseModel], value: dict) -> None:
    model.model_validate(value)
    with pytest.raises(ValidationError):
        model.model_validate({**value, "unexpected": 1})


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Iterator[TestClient]:
    with build_site(tmp_path_factory.mktemp("shapes"), fixtures_dir) as site:
        yield site.open_client()


@pytest.mark.parametrize(
    ("url", "model"),
    [
        ("/api/daily_papers?date=2024-06-13", HfDailyPaper),
        ("/api/daily_papers?date=2025-07-22", HfDailyPaper),
        ("/api/daily_papers?date=2026-08-12", HfDailyPaper),
        ("/api/daily_papers?sort=trending", HfDailyPaper),
        ("/api/papers/search?q=llama", HfSearchResult),
        ("/api/papers?limit=100", HfPaperInfo),
    ],
)
def test_every_served_item_validates(client: TestClient, url: str, model: type[BaseModel]):
    items = client.get(url).json()
    assert items
    for item in items:
        model.model_validate(item)
