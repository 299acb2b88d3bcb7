"""Scoring rows read by unseen fold models with heads fitted on the shipped model's rows."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bench.confidence_unseen import unseen_figures
from tests.unit.training.test_confidence_fit import _rows
from training.confidence import held_out, reliability


def test_the_same_rows_give_the_fits_own_held_out_figures() -> None:
    rows = _rows()
    figures = unseen_figures(rows, rows, threshold=0.3)
    p = held_out(rows, "reader", ("logit", "sentence", "chunk", "coverage", "named"))
    y = np.array([float(r["reader"]["right"][0]) for r in rows])
    made = np.array([r["set"] == "made" for r in rows])
    assert figures["made"]["ece"] == round(reliability(p[made], y[made])[0], 4)
    assert figures["made-cross"]["abstained"] == round(float((p[~made] < 0.3).mean()), 4)


def test_weaker_logits_where_unseen_show_as_worse_calibration() -> None:
    shipped = _rows()
    unseen = copy.deepcopy(shipped)
    for row in unseen:  # the fold models' logits say less: every one pulled towards -1
        card = row["reader"]["inputs"]
        card["logit"] = [(v - 1.0) * 0.2 for v in card["logit"]]
    same = unseen_figures(shipped, shipped, threshold=0.3)
    weaker = unseen_figures(shipped, unseen, threshold=0.3)
    assert weaker["made"]["ece"] > same["made"]["ece"]


def test_collections_of_other_questions_are_refused() -> None:
    rows = _rows()
    with pytest.raises(ValueError, match="same questions"):
        unseen_figures(rows, rows[::-1], threshold=0.3)
