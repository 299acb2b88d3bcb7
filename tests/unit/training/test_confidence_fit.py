"""Fitting the confidence heads: held-out probabilities, the threshold, the written file."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.confidence import load_confidence
from training.confidence import (
    FOLDS,
    MAX_FALSE_ABSTENTION,
    fit,
    held_out,
    reliability,
    threshold,
)


def _rows(n: int = 400) -> list[dict[str, Any]]:
    """Questions whose first card is right more often the higher its logit and cosine."""
    rng = random.Random(3)
    rows = []
    for i in range(n):
        cross = i % 4 == 0
        logit = rng.gauss(-3.0 if cross else 1.0, 2.0)
        right = not cross and rng.random() < 1 / (1 + np.exp(-logit))
        inputs = {
            "logit": [logit],
            "sentence": [rng.uniform(0.2, 0.4) if cross else rng.uniform(0.3, 0.7)],
            "chunk": [rng.uniform(0.1, 0.6)],
            "coverage": [rng.uniform(0.0, 1.0)],
            # Another article's passages name what the question names less often.
            "named": [float(rng.random() < (0.4 if cross else 0.9))],
        }
        # A second card, less often right than the first.
        second = {k: [*v, v[0] - 1.0] for k, v in inputs.items()}
        card = {"inputs": second, "right": [right, right and rng.random() < 0.3]}
        rows.append(
            {
                "set": "made-cross" if cross else "made",
                "group": f"article-{i % 20}",
                "answerable": not cross,
                "reader": card,
                "first_stage": card,
            }
        )
    return rows


def test_held_out_probabilities_come_from_heads_that_never_saw_the_article() -> None:
    rows = _rows()
    features = ("logit", "sentence")
    p = held_out(rows, "reader", features)
    # Changing the labels of one article's rows changes no probability of that article.
    group = "article-3"
    flipped = [
        dict(r, reader={**r["reader"], "right": [not r["reader"]["right"][0]]})
        if r["group"] == group
        else r
        for r in rows
    ]
    q = held_out(flipped, "reader", features)
    same = np.array([r["group"] == group for r in rows])
    assert np.allclose(p[same], q[same]) and not np.allclose(p, q)
    assert FOLDS == 5


def test_the_threshold_keeps_nearly_every_right_first_card_answered() -> None:
    rows = _rows()
    p = held_out(rows, "reader", ("logit",))
    t = threshold(rows, p, "reader")
    right = np.array([r["reader"]["right"][0] for r in rows])
    cross = np.array([r["set"] == "made-cross" for r in rows])
    assert (p[right] < t).mean() <= MAX_FALSE_ABSTENTION
    assert (p[right] < t + 0.02).mean() > MAX_FALSE_ABSTENTION  # the highest such, to 0.01
    assert (p[cross] < t).mean() > 0.5  # and it still turns most cross questions away


def test_reliability_is_the_weighted_gap_per_bin() -> None:
    ece, table = reliability(np.array([0.15, 0.15, 0.85, 0.85]), np.array([0.0, 1.0, 1.0, 1.0]))
    assert table == [(2, 0.15, 0.5), (2, 0.85, 1.0)]
    assert ece == 0.5 * 0.35 + 0.5 * 0.15


def test_fit_writes_a_file_the_product_loads(tmp_path: Path) -> None:
    target = tmp_path / "confidence.json"
    data = fit(_rows(), target)
    model = load_confidence(target)
    assert model.reader.features == ("logit", "sentence", "chunk", "coverage", "named")
    assert "logit" not in model.first_stage.features
    assert model.reader_lower.features == ("sentence", "chunk", "coverage", "named")  # no logit
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["held_out"]["reader"]["made"]["questions"] == 300
    assert 0.0 <= written["held_out"]["reader"]["made"]["likely_cards_right"] <= 1.0
    assert data["reader"]["weights"][0] > 0  # a higher logit: likelier to answer
    assert data["reader"]["weights"][4] > 0  # and so is a passage naming what was asked
