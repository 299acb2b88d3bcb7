"""The learned second stage, with a deterministic scorer: ranking, highlights, abstention."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import InvalidInputError
from retrieval.reader import Candidates, ReaderSettings, choose, read
from retrieval.retriever import Retriever


class KeywordScorer:
    """Logit +3 for a sentence holding ``word``, -3 otherwise; records what it read."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: list[list[str]] = []

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        self.seen.append(list(sentences))
        hit = re.compile(rf"\b{re.escape(self.word)}\b", re.IGNORECASE)
        return np.array([3.0 if hit.search(s) else -3.0 for s in sentences], dtype=np.float32)


def _candidates() -> Candidates:
    # Passage 0 (first-stage best) holds units 10, 11; passage 1 holds unit 20.
    return Candidates(
        passage=np.array([0, 0, 1]),
        unit=np.array([10, 11, 20]),
        first_stage=np.array([0.5, 0.4, 0.3]),
        fused=np.array([1.0, 0.0]),
    )


def test_the_passage_with_the_answering_sentence_moves_up() -> None:
    candidates = _candidates()
    texts = ["Otters swim.", "Otters eat crabs.", "Herons eat frogs."]
    chosen = choose(candidates, 3)
    scorer = KeywordScorer("frogs")
    settings = ReaderSettings(mix=1.0, fused_weight=2.0)
    reading = read("What do herons eat?", candidates, texts, chosen, scorer, settings)
    # Passage 1: 2 * 0 + (3 + 0.3) = 3.3; passage 0: 2 * 1 + (-3 + 0.5) = -0.5.
    assert reading.order.tolist() == [1, 0]
    assert reading.scores.tolist() == pytest.approx([-0.5, 3.3])
    assert reading.highlight.tolist() == [10, 20]
    # A heavier first-stage share keeps the first stage's order.
    steady = ReaderSettings(mix=1.0, fused_weight=8.0)
    assert read("q", candidates, texts, chosen, scorer, steady).order.tolist() == [0, 1]


def test_the_sentence_blend_can_overrule_the_cross_encoder() -> None:
    candidates = _candidates()
    texts = ["Otters swim.", "Otters eat crabs.", "Herons eat frogs."]
    scorer = KeywordScorer("crabs")  # prefers unit 11 (first stage 0.4) over 10 (0.5)
    chosen = choose(candidates, 3)
    learned = read("q", candidates, texts, chosen, scorer, ReaderSettings(mix=1.0))
    assert learned.highlight[0] == 11
    first_stage_led = read("q", candidates, texts, chosen, scorer, ReaderSettings(mix=100.0))
    assert first_stage_led.highlight[0] == 10


def test_only_the_best_first_stage_sentences_are_read() -> None:
    candidates = _candidates()
    chosen = choose(candidates, 2)
    assert chosen.tolist() == [0, 1]
    scorer = KeywordScorer("crabs")
    reading = read(
        "q", candidates, ["Otters swim.", "Otters eat crabs."], chosen, scorer, ReaderSettings()
    )
    assert scorer.seen == [["Otters swim.", "Otters eat crabs."]]
    assert reading.highlight.tolist() == [11, -1]  # passage 1 had no sentence read
    assert reading.order.tolist() == [0, 1]  # an unread passage follows the read ones
    assert reading.scores[1] < reading.scores[0]


def test_settings_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="at least one passage"):
        ReaderSettings(passages=0)
    with pytest.raises(InvalidInputError, match="must not be negative"):
        ReaderSettings(mix=-1.0)


def _reading(index: Path, scorer: KeywordScorer) -> Retriever:
    retriever = Retriever(index, scorer=scorer)
    # mix=0: the highlight is the scorer's choice alone, whatever the first stage says.
    reader = ReaderSettings(mix=0.0)
    return retriever.with_settings(replace(retriever.settings, reader=reader))


def test_the_retriever_highlights_what_the_reader_picks(fake_index: Path) -> None:
    scorer = KeywordScorer("tomatoes")
    retriever = _reading(fake_index, scorer)
    answer = retriever.answer("Which products did Russia ban from Kazakhstan?", k=3)
    assert scorer.seen
    top = answer.passages[0]
    ((start, end),) = top.highlights
    assert "tomatoes" in top.text[start - top.start : end - top.start]


def test_each_path_decides_with_its_own_head(fake_index: Path) -> None:
    fast = Retriever(fake_index).with_settings(replace(Retriever(fake_index).settings, reader=None))
    heads = fast.settings.confidence
    for question in ("Which products did Russia ban from Kazakhstan?", "zebra quasar marmalade"):
        with_reader = _reading(fake_index, KeywordScorer("tomatoes")).answer(question)
        without = fast.answer(question)
        for answer, head in ((with_reader, heads.reader), (without, heads.first_stage)):
            assert answer.abstained == ((answer.passages[0].confidence or 0.0) < head.threshold)
    # The cross-encoder's logit moves the probability: the reading that finds "tomatoes"
    # says more for its first passage than one that finds nothing.
    question = "Which products did Russia ban from Kazakhstan?"
    finds = _reading(fake_index, KeywordScorer("tomatoes")).answer(question)
    misses = _reading(fake_index, KeywordScorer("zzzz")).answer(question)
    assert (finds.passages[0].confidence or 0.0) > (misses.passages[0].confidence or 0.0)


def test_the_fast_path_reads_nothing(fake_index: Path) -> None:
    scorer = KeywordScorer("tomatoes")
    retriever = Retriever(fake_index, scorer=scorer)
    retriever = retriever.with_settings(replace(retriever.settings, reader=None))
    assert retriever.answer("Which products did Russia ban?").passages
    assert scorer.seen == []


def test_the_fast_setting_skips_the_reader(
    fake_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retrieval import AskSettings, ask
    from ui.cli import main

    scorer = KeywordScorer("tomatoes")
    monkeypatch.setattr("retrieval.retriever.shipped_scorer", lambda: scorer)
    index = tmp_path / "copied-index"  # a path no cached retriever has seen
    shutil.copytree(fake_index, index)
    question = "Which products did Russia ban from Kazakhstan?"
    assert main(["ask", question, "--index", str(index), "--fast"]) == 0
    fast = ask(question, index=index, settings=AskSettings(reader="none"))
    assert scorer.seen == []
    assert main(["ask", question, "--index", str(index)]) == 0
    # The reader's sentences, then (at most once more) those its cards' probabilities need.
    assert 1 <= len(scorer.seen) <= 2
    first_stage = Retriever(index).with_settings(replace(Retriever(index).settings, reader=None))
    assert fast.passages == first_stage.answer(question).passages


def test_the_default_blend_is_what_reader_json_says() -> None:
    import json

    from retrieval.reader import BLEND_FILE, Blend, load_blend
    from retrieval.rerank.scorer import MODEL_DIR

    assert BLEND_FILE == MODEL_DIR / "reader.json"
    fitted = json.loads(BLEND_FILE.read_text(encoding="utf-8"))
    assert load_blend() == Blend(mix=fitted["mix"], fused_weight=fitted["fused_weight"])
    defaults = ReaderSettings()
    assert (defaults.mix, defaults.fused_weight) == (fitted["mix"], fitted["fused_weight"])


def test_the_settings_read_the_blend_file_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import retrieval.reader as reader

    path = tmp_path / "reader.json"
    path.write_text('{"mix": 7.5, "fused_weight": 0, "fitted_on": "a test"}\n', encoding="utf-8")
    monkeypatch.setattr(reader, "BLEND_FILE", path)
    reader.shipped_blend.cache_clear()
    try:
        settings = ReaderSettings()
        assert (settings.mix, settings.fused_weight) == (7.5, 0.0)
        assert ReaderSettings(mix=2.0).mix == 2.0  # a weight given is kept
    finally:
        reader.shipped_blend.cache_clear()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "is missing"),
        ("{not json", "is unreadable"),
        ('["mix", 10]', r"has mix=None"),
        ('{"mix": 10.0}', r"has fused_weight=None"),
        ('{"mix": "10", "fused_weight": 3}', r"has mix='10'"),
        ('{"mix": -1, "fused_weight": 3}', r"has mix=-1"),
        ('{"mix": true, "fused_weight": 3}', r"has mix=True"),
        ('{"mix": NaN, "fused_weight": 3}', r"has mix=nan"),
    ],
)
def test_a_missing_or_damaged_blend_file_is_refused_with_the_fix(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    from retrieval.reader import load_blend
    from retrieval.rerank import ScorerModelError

    path = tmp_path / "reader.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ScorerModelError, match=problem) as caught:
        load_blend(path)
    assert str(path) in str(caught.value)
    assert "python -m training" in str(caught.value)


def test_a_retriever_with_another_scorer_reads_with_it_alone(fake_index: Path) -> None:
    question = "Which products did Russia ban from Kazakhstan?"
    shipped, other = KeywordScorer("tomatoes"), KeywordScorer("zzzz")
    retriever = _reading(fake_index, shipped)
    swapped = retriever.with_scorer(other)
    assert swapped.version is retriever.version
    read_by_other = swapped.answer(question, k=3)
    assert other.seen and not shipped.seen
    read_by_shipped = retriever.answer(question, k=3)
    assert shipped.seen
    # The two scorers pick different highlights: the swap changed what was read with.
    assert read_by_other.passages[0].highlights != read_by_shipped.passages[0].highlights
