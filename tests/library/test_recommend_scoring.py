"""The pure scoring of "for you" (domain/recommend.py, domain/similarity.py): table tests with
hand-made unit vectors."""

from __future__ import annotations

import numpy as np
import pytest

from paperboard.domain import similarity
from paperboard.domain.recommend import (
    UPVOTES_GROUP,
    Candidates,
    Profile,
    Weights,
    recommend,
)

DIM = 8


def unit(*components: float) -> np.ndarray:
    vector = np.zeros(DIM, np.float32)
    vector[: len(components)] = components
    return vector / np.linalg.norm(vector)


A = unit(1, 0, 0)
A_NEAR = unit(1, 0.2, 0)
B = unit(0, 1, 0)
C = unit(0, 0, 1)


def candidates(vectors: list[np.ndarray], **columns: list) -> Candidates:  # type: ignore[type-arg]
    count = len(vectors)
    return Candidates(
        paper_ids=list(range(100, 100 + count)),
        vectors=np.stack(vectors),
        authors=columns.get("authors", [[] for _ in range(count)]),
        categories=columns.get("categories", [["cs.LG"] for _ in range(count)]),
        upvotes=columns.get("upvotes", [0] * count),
        trending=columns.get("trending", [0.0] * count),
        voters=columns.get("voters", [[] for _ in range(count)]),
        searches=columns.get("searches", [[] for _ in range(count)]),
    )


def profile(kept: list[np.ndarray], groups: list[str], rejected: list[np.ndarray] = (), **more):  # type: ignore[no-untyped-def,assignment]
    return Profile(
        kept=np.stack(kept) if kept else np.zeros((0, DIM), np.float32),
        kept_groups=groups,
        rejected=np.stack(rejected) if rejected else np.zeros((0, DIM), np.float32),
        **more,
    )


def test_similar_papers_come_first_with_their_collection_named() -> None:
    user = profile([A, A_NEAR, B], ["Reading list", "Reading list", UPVOTES_GROUP])
    found = recommend(user, candidates([C, A, B]), Weights(), 10)
    assert [r.paper_id for r in found] == [101, 102]  # C is like nothing kept: not listed
    first = found[0]
    assert first.reasons[0].text == "like 2 papers in *Reading list*"
    assert abs(sum(r.weight for r in first.reasons) - first.score) < 1e-9
    assert found[1].reasons[0].text == "like a paper you upvoted"


def test_every_recommendation_has_a_positive_reason() -> None:
    user = profile([A], ["L"], categories=frozenset({"cs.LG"}))
    found = recommend(user, candidates([A, B, C], upvotes=[0, 3, 0]), Weights(), 10)
    assert {r.paper_id for r in found} == {100, 101, 102}
    for recommendation in found:
        assert recommendation.reasons and recommendation.reasons[0].weight > 0


def test_dismissed_likeness_is_subtracted() -> None:
    user = profile([A], ["L"], rejected=[A_NEAR])
    # At full weight a paper this close to a dismissed one is not recommended at all.
    assert [r.paper_id for r in recommend(user, candidates([A_NEAR]), Weights(), 10)] == []
    found = recommend(user, candidates([A_NEAR, unit(1, -0.2, 0)]), Weights(dismissed=0.5), 10)
    by_id = {r.paper_id: r for r in found}
    dismissed = [r for r in by_id[100].reasons if r.signal == "dismissed"]
    assert dismissed and dismissed[0].weight < 0
    assert dismissed[0].text == "like a paper you dismissed"
    # The same likeness to what was kept, less likeness to the dismissed paper, ranks first.
    assert found[0].paper_id == 101
    off = recommend(user, candidates([A_NEAR]), Weights(dismissed=0), 10)
    assert all(r.signal != "dismissed" for r in off[0].reasons)


def test_follows_and_community_signals_with_their_weights() -> None:
    user = profile(
        [], [], authors={"jane doe": "Jane Doe"}, categories=frozenset({"cs.CL", "cs.LG"})
    )
    found = recommend(
        user,
        candidates(
            [C, C, C, C],
            authors=[["JANE DOE"], [], [], []],
            categories=[["cs.CV"], ["cs.CV", "cs.CL"], ["cs.CV"], ["cs.CV"]],
            voters=[[], [], ["ada"], []],
            searches=[[], [], [], ["graph networks"]],
            upvotes=[0, 0, 12, 1],
            trending=[0.0, 0.0, 1.0, 0.0],
        ),
        Weights(),
        10,
    )
    texts = {r.paper_id: [reason.text for reason in r.reasons] for r in found}
    assert texts[100] == ["by Jane Doe, whom you follow"]
    assert texts[101] == ["in cs.CL, which you follow"]
    assert texts[102] == ["upvoted by @ada, whom you follow", "trending on the board", "12 upvotes"]
    assert texts[103] == ["matches your saved search “graph networks”", "1 upvote"]
    weights = {r.paper_id: r.reasons[0].weight for r in found}
    assert weights[100] == Weights().authors
    assert weights[101] == Weights().categories * 0.5  # a cross-list counts half
    silenced = recommend(
        user,
        candidates([C], upvotes=[12], trending=[1.0], categories=[["cs.CV"]]),
        Weights(upvotes=0, trending=0),
        10,
    )
    assert silenced == []


def test_cold_start_from_followed_categories_newest_first() -> None:
    user = profile([], [], categories=frozenset({"cs.LG"}))
    found = recommend(
        user, candidates([A, B, C], categories=[["cs.LG"], ["cs.CV"], ["cs.LG"]]), Weights(), 10
    )
    assert [r.paper_id for r in found] == [100, 102]  # ties keep the given (newest) order


def test_limit_and_empty_inputs() -> None:
    user = profile([A], ["L"])
    assert recommend(user, candidates([A, A, A]), Weights(), 2)[-1].paper_id == 101
    assert recommend(user, candidates([A]), Weights(), 0) == []
    assert recommend(profile([], []), candidates([A]), Weights(), 5) == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"similar": -1}, "from 0"),
        ({"similar": 11}, "from 0"),
        ({"mood": 1}, "unknown"),
        ({"similar": "high"}, "number"),
        ({"similar": True}, "number"),
        ({"similar": float("nan")}, "from 0"),
    ],
)
def test_weights_are_checked(values: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=message):
        Weights.from_mapping(values)


def test_weights_round_trip() -> None:
    changed = Weights.from_mapping({"upvotes": 0, "authors": 2})
    assert changed.upvotes == 0 and changed.authors == 2 and changed.similar == 1.0
    assert Weights.from_mapping(changed.as_dict()) == changed


@pytest.mark.parametrize("model", similarity.MODELS)
def test_each_content_model_prefers_the_kept_topic(model: str) -> None:
    kept = np.stack([A, A_NEAR])
    scores = similarity.content_scores(model, kept, np.stack([A, B, C]), np.zeros((0, DIM)))
    assert scores[0] > scores[1] and scores[0] > scores[2]


def test_nearest_keeps_two_interests_apart() -> None:
    """Two unrelated kept topics: each topic's paper scores as if it were the only interest,
    where the centroid halves both."""
    kept = np.stack([A, B])
    matrix = similarity.similarities(kept, np.stack([A, B]))
    assert np.allclose(similarity.nearest_mean(matrix, 1), [1.0, 1.0])
    assert np.all(similarity.centroid(kept, np.stack([A, B])) < 0.8)
    with pytest.raises(ValueError):
        similarity.content_scores("svm", kept, kept, kept)
