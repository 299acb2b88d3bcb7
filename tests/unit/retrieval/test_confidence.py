"""The confidence heads: what they read from confidence.json, and how cards show them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.index.sparse import SparseSettings, Tokenizer
from retrieval.background import covered, question_weights, word_weight
from retrieval.confidence import (
    CONFIDENCE_FILE,
    FEATURES,
    Head,
    load_confidence,
    non_increasing,
    shipped_confidence,
)
from retrieval.rerank.scorer import ScorerModelError


def test_the_shipped_heads_are_the_fitted_file() -> None:
    data = json.loads(CONFIDENCE_FILE.read_text(encoding="utf-8"))
    model = shipped_confidence()
    assert model.reader.as_dict() == data["reader"]
    assert model.first_stage.as_dict() == data["first_stage"]
    assert model.reader_lower.as_dict() == data["reader_lower"]
    assert model.first_stage_lower.as_dict() == data["first_stage_lower"]
    assert model.sentences == data["sentences"]
    assert "logit" in model.reader.features and "logit" not in model.first_stage.features
    assert set(model.reader.features) <= set(FEATURES)


def test_a_head_is_a_logistic_model_of_its_features() -> None:
    head = Head(("sentence", "coverage"), (4.0, 2.0), -3.0, 0.5)
    inputs = {
        "sentence": np.array([0.5, 0.0]),
        "coverage": np.array([0.5, 0.0]),
        "logit": np.array([9.0, 9.0]),  # not one of its features: not read
    }
    z = np.array([-3.0 + 2.0 + 1.0, -3.0])
    assert np.allclose(head.probabilities(inputs), 1 / (1 + np.exp(-z)))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "is missing"),
        ("{not json", "is unreadable"),
        ("[]", "is not a JSON object"),
        ('{"reader": {}}', "no valid 'reader' head"),
        (
            '{"reader": {"features": ["sentence"], "weights": [1], "bias": 0, "threshold": 0.5},'
            ' "first_stage": {"features": ["chunk"], "weights": [1], "bias": 0, "threshold": 2}}',
            "lacks 'logit'",
        ),
        (
            '{"reader": {"features": ["logit"], "weights": [1], "bias": 0, "threshold": 0.5},'
            ' "first_stage": {"features": ["chunk"], "weights": [1], "bias": 0, "threshold": 2}}',
            "no valid 'first_stage' head",
        ),
        (
            '{"reader": {"features": ["logit", "idf"], "weights": [1, 1], "bias": 0,'
            ' "threshold": 0.5}}',
            "no valid 'reader' head",
        ),
        (
            '{"reader": {"features": ["logit"], "weights": [1], "bias": 0, "threshold": 0.5},'
            ' "first_stage": {"features": ["chunk"], "weights": [1], "bias": 0, "threshold": 0}}',
            "no valid 'reader_lower' head",
        ),
        (
            '{"reader": {"features": ["logit"], "weights": [1], "bias": 0, "threshold": 0.5},'
            ' "first_stage": {"features": ["chunk"], "weights": [1], "bias": 0, "threshold": 0},'
            ' "reader_lower": {"features": ["logit"], "weights": [1], "bias": 0, "threshold": 0},'
            ' "first_stage_lower": {"features": [], "weights": [], "bias": 0, "threshold": 0},'
            ' "sentences": 0}',
            "sentences=0",
        ),
    ],
)
def test_a_damaged_confidence_file_names_itself_and_the_fix(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "confidence.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ScorerModelError, match=problem) as error:
        load_confidence(path)
    assert str(path) in str(error.value) and "python -m training" in str(error.value)


def test_cards_never_show_more_than_the_card_above() -> None:
    assert non_increasing([0.2, 0.9, 0.1, 0.15]) == [0.2, 0.2, 0.1, 0.1]
    assert non_increasing([]) == []


def test_background_weights_come_from_the_language_not_the_index() -> None:
    assert word_weight("the") < word_weight("population") < word_weight("zzyzxqv")
    tokenizer = Tokenizer(SparseSettings())
    weights = question_weights(tokenizer, "What is the population of Kazakhstan?")
    assert set(weights) == {"popul", "kazakhstan"}  # stemmed as the index stems them
    assert weights["popul"] == word_weight("population")
    only = covered(weights, {"kazakhstan", "steppe"})
    assert only == weights["kazakhstan"] / sum(weights.values())
    assert covered(weights, set()) == 0.0 and covered({}, {"x"}) == 0.0
    # A question of function words only is weighed by all its words.
    assert question_weights(tokenizer, "What is it?")
