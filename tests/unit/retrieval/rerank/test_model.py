"""The shipped cross-encoder (retrieval/rerank/model): its scores on probe pairs and its runtime.

The probes were written for this test (none comes from the training or evaluation data): for
each question, a sentence that answers it and a sentence on the same topic that does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from retrieval.rerank import MODEL_DIR, ScorerModelError, SentenceScorer

#: (question, a sentence that answers it, a sentence on its topic that does not).
PROBES = (
    (
        "When did the bridge reopen to traffic?",
        "The bridge reopened to traffic in March 2009, after two years of repairs.",
        "Engineers closed the bridge when they found cracks in two of its supports.",
    ),
    (
        "Who designed the new city library?",
        "The new city library was designed by the architect Maria Lopez.",
        "The new city library holds more than two million books.",
    ),
    (
        "How many people live in the city?",
        "About 1.7 million people live in the city.",
        "The city lies on both banks of the river.",
    ),
    (
        "What is the capital of Australia?",
        "Canberra is the capital of Australia.",
        "Australia is the sixth-largest country in the world by area.",
    ),
    (
        "Why did the factory close?",
        "The factory closed because demand for its steel fell sharply.",
        "The factory employed four hundred workers at its peak.",
    ),
    (
        "Which enzyme breaks down starch?",
        "Amylase breaks starch down into sugars.",
        "Starch is a carbohydrate that plants store in their roots and seeds.",
    ),
)
UNRELATED = "Bananas are rich in potassium and are grown in many tropical countries."


@pytest.fixture(scope="module")
def scorer() -> SentenceScorer:
    """The shipped artifact, loaded once for this module."""
    return SentenceScorer()


def test_the_shipped_artifact_is_complete_and_small() -> None:
    info = json.loads((MODEL_DIR / "export.json").read_text())
    assert info["kind"] == "openvino-int8"
    assert info["check"]["max_probability_gap_probes"] <= 0.1
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file())
    assert size < 40_000_000  # the budget for every learned file docqa ships
    assert (MODEL_DIR / "MODEL_CARD.md").is_file()


@pytest.mark.parametrize(("question", "answer", "topical"), PROBES)
def test_an_answering_sentence_scores_above_a_topical_non_answer(
    scorer: SentenceScorer, question: str, answer: str, topical: str
) -> None:
    scores = scorer.score(question, [answer, topical])
    assert scores[0] > scores[1], (question, scores)


def test_an_unrelated_sentence_scores_low_and_below_the_answer(scorer: SentenceScorer) -> None:
    for question, answer, _ in PROBES:
        answer_score, unrelated = scorer.score(question, [answer, UNRELATED])
        assert unrelated < 0.1, (question, unrelated)
        assert answer_score > unrelated, (question, answer_score, unrelated)


def test_scores_are_probabilities_in_input_order(scorer: SentenceScorer) -> None:
    question, answer, topical = PROBES[0]
    sentences = [topical, UNRELATED, answer]
    scores = scorer.score(question, sentences)
    assert scores.dtype == np.float32 and scores.shape == (3,)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert int(scores.argmax()) == 2
    # Batching (and its length sorting) changes nothing about which score goes where.
    one_by_one = [scorer.score(question, [s])[0] for s in sentences]
    np.testing.assert_allclose(scores, one_by_one, atol=0.02)
    assert scorer.score(question, []).shape == (0,)


def test_a_pair_longer_than_the_token_limit_is_truncated_not_refused(
    scorer: SentenceScorer,
) -> None:
    long = " ".join(["The committee met again and discussed the budget at length."] * 40)
    assert scorer.score("What did the committee discuss?", [long]).shape == (1,)


def test_threads_sharing_one_scorer_get_the_serial_scores(scorer: SentenceScorer) -> None:
    serial = [scorer.score(q, [a, t, UNRELATED]) for q, a, t in PROBES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda p: scorer.score(p[0], [p[1], p[2], UNRELATED]), PROBES))
    for s, t in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(s, t)


def test_a_folder_without_the_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ScorerModelError, match=r"lacks model\.xml.*python -m training"):
        SentenceScorer(tmp_path)


def test_the_runtime_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys; from retrieval.rerank import SentenceScorer; "
        "SentenceScorer().score('Who designed it?', ['Maria Lopez designed it.']); "
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers')"
        " if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
