"""The reader's blend fitted on small, made-up features (training.reader_fit): deterministic,
held out by fold, and written as the ``reader.json`` that ReaderSettings loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from training.reader_fit import FIRST_STAGE, Fitted, decide, fit, fit_folds, write_blend


def _row(rng: np.random.Generator, fold: int, answerable: bool) -> dict[str, Any]:
    """One question: 3 passages of 2 sentences; the answer (if any) in passage 1's second
    sentence, which the cross-encoder reads well and the first stage ranks second."""
    passage = np.array([0, 0, 1, 1, 2, 2])
    first = rng.uniform(0.2, 0.4, size=6).astype(np.float32)
    logit = rng.normal(-2.0, 0.5, size=6).astype(np.float32)
    logit[5] = np.nan  # a sentence the reader did not read
    sentence_hit = np.zeros(6, dtype=bool)
    if answerable:
        logit[3] = 3.0
        sentence_hit[3] = True
    return {
        "question": "q",
        "answerable": answerable,
        "fused": np.array([0.9, 0.8, 0.1], dtype=np.float32),
        "passage_hit": np.array([False, answerable, False]),
        "confidence": np.array([0.7 if answerable else 0.4, 0.5, 0.2], dtype=np.float32),
        "passage": passage,
        "unit": np.arange(6),
        "cos": first,
        "first": first,
        "logit": logit,
        "sentence_hit": sentence_hit,
        "fold": fold,
        "set": f"article-{fold}",
    }


def _rows(seed: int, folds: int = 4, per_fold: int = 12) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [_row(rng, k, i % 3 != 0) for k in range(folds) for i in range(per_fold)]


def test_the_blend_follows_the_cross_encoder_when_it_reads_well() -> None:
    params = fit(_rows(1), max_false=0.1)
    top, sentence, _ = decide(_rows(2)[1], params.mix, params.fused_weight)
    assert (top, sentence) == (1, 3)
    # The first stage alone keeps its own order: passage 0 first.
    assert decide(_rows(2)[1], FIRST_STAGE.mix, FIRST_STAGE.fused_weight)[0] == 0


def test_fitting_by_folds_is_deterministic_and_held_out(capsys: pytest.CaptureFixture[str]) -> None:
    first = fit_folds({"squad": _rows(3), "written": _rows(4)})
    second = fit_folds({"squad": _rows(3), "written": _rows(4)})
    assert first == second
    assert first.sources == ("squad", "written")
    assert first.held_out["sentence_hit@1"] == 1.0
    out = capsys.readouterr().out
    assert "pooled held-out, squad:" in out and "fit on all folds:" in out


def test_the_written_blend_is_what_reader_json_holds(tmp_path: Path) -> None:
    fitted = fit_folds({"squad": _rows(5)})
    path = tmp_path / "reader.json"
    write_blend(fitted, path)
    blend = json.loads(path.read_text(encoding="utf-8"))
    assert blend == {
        "mix": fitted.params.mix,
        "fused_weight": fitted.params.fused_weight,
        "fitted_on": "squad, 4 folds by article, fold models",
        "held_out": {
            "hit@1": fitted.held_out["hit@1"],
            "sentence_hit@1": fitted.held_out["sentence_hit@1"],
        },
    }
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert isinstance(fitted, Fitted)
