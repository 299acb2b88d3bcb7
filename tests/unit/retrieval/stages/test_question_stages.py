"""The question path stage by stage: resolve, first stage, read, decide, cite.

Each stage is tested alone, over arrays it is given or over a small index built with the
fake embedder; ``test_retrieval.py`` and ``test_reader.py`` in ``tests/unit/retrieval/`` hold
the whole path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import InvalidInputError
from ingest.index.sparse import SparseSettings, Tokenizer
from ingest.index.store import load_version
from ingest.sync.pipeline import ingest
from retrieval import AskSettings, Retriever, SearchSettings
from retrieval.background import covered, question_weights
from retrieval.confidence import FEATURES, ConfidenceModel, Head
from retrieval.followup import FollowupSettings
from retrieval.passage_sentences import PassageSentences
from retrieval.reader import ReaderSettings, Reading
from retrieval.relevance import question_terms
from retrieval.signals import CandidateSources, QueryScores, gather
from retrieval.stages.cite import cite, ranked
from retrieval.stages.decide import Judged, confidence_units, judge, passage_inputs
from retrieval.stages.first_stage import NO_SENTENCES, FirstStage, Shortlist
from retrieval.stages.read import CrossEncoderReader, NullReader, first_stage_best, make_reader
from retrieval.stages.resolve import Resolved, resolve_question
from retrieval.types import Answer
from tests.support.fakes import FakeEmbedder

NOTES = {
    "bread.md": "# Bread\n\nSourdough bread rises slowly overnight. Bakers fold the dough twice.\n",
    "cakes.md": "# Cakes\n\nSponge cakes need eggs and sugar. The oven must be hot first.\n",
    "ferry.md": "# Ferry\n\nThe ferry leaves the harbour at dawn. Fishing boats follow it out.\n",
}


@pytest.fixture
def notes_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    docs = tmp_path / "notes"
    docs.mkdir()
    for name, text in NOTES.items():
        (docs / name).write_text(text, encoding="utf-8")
    index = tmp_path / "index"
    ingest([docs], index=index, embedder=fake_embedder)
    return index


@pytest.fixture
def tokenizer() -> Tokenizer:
    return Tokenizer(SparseSettings())


# --- resolve -------------------------------------------------------------------------------


def test_a_question_alone_resolves_to_itself(tokenizer: Tokenizer) -> None:
    resolved = resolve_question("When does the ferry leave?", (), tokenizer, FollowupSettings())
    assert resolved.question == resolved.reading == "When does the ferry leave?"
    assert not resolved.search.follows
    assert resolved.terms == tuple(question_terms(tokenizer, "When does the ferry leave?"))


def test_a_follow_up_reads_and_checks_its_earlier_question_too(tokenizer: Tokenizer) -> None:
    earlier = Answer("When does the Greywater ferry leave?", (), False, 1.0)
    resolved = resolve_question("And where to?", [earlier], tokenizer, FollowupSettings())
    assert resolved.question == "And where to?"
    assert resolved.search.follows
    assert resolved.reading == "When does the Greywater ferry leave?\nAnd where to?"
    assert "greywat" in resolved.terms
    off = resolve_question("And where to?", [earlier], tokenizer, FollowupSettings(enabled=False))
    assert off.reading == "And where to?" and not off.search.follows


# --- first stage ---------------------------------------------------------------------------


def test_gather_takes_the_best_keyword_rows_within_the_filter() -> None:
    bm25 = np.array([0.0, 3.0, 1.0, 2.0])
    sources = CandidateSources(n_chunks=4, dense=None, units=None, offsets=None, unit_dense=None)
    everything = gather(QueryScores(None, bm25), sources, depth=2)
    assert everything.rows.tolist() == [1, 3]
    allowed = np.array([True, False, True, True])
    filtered = gather(QueryScores(None, bm25), sources, depth=2, allowed=allowed)
    assert filtered.rows.tolist() == [2, 3]
    assert filtered.bm25.tolist() == [1.0, 2.0]


def _first_stage(index: Path, embedder: FakeEmbedder) -> FirstStage:
    return FirstStage(load_version(index), embedder)


def _resolved(stage: FirstStage, question: str) -> Resolved:
    return resolve_question(question, (), stage.version.sparse.tokenizer, FollowupSettings())


def test_the_first_stage_orders_by_fused_score(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    stage = _first_stage(notes_index, fake_embedder)
    ranking = stage.rank(_resolved(stage, "sourdough bread dough"), SearchSettings())
    fused = ranking.fused[ranking.order]
    assert np.all(np.diff(fused) <= 0)
    top = stage.version.chunks[int(ranking.rows[0])]
    assert top.doc_id == "bread.md"
    assert ranking.query_vector is not None


def test_keyword_mode_embeds_nothing_and_the_filter_holds(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    stage = _first_stage(notes_index, fake_embedder)
    keyword = SearchSettings(mode="keyword")
    allowed = stage.version.chunks.in_documents(["cakes.md"])
    ranking = stage.rank(_resolved(stage, "bread eggs"), keyword, allowed)
    assert ranking.query_vector is None
    assert {stage.version.chunks[int(r)].doc_id for r in ranking.rows} == {"cakes.md"}


def test_the_shortlist_holds_each_passages_sentences(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    stage = _first_stage(notes_index, fake_embedder)
    settings = SearchSettings()
    ranking = stage.rank(_resolved(stage, "ferry harbour dawn"), settings)
    shortlist = stage.shortlist(ranking, 2, settings)
    assert shortlist.rows == [int(r) for r in ranking.rows[:2]]
    assert shortlist.fused.tolist() == ranking.fused[ranking.order[:2]].tolist()
    offsets = stage.version.units.offsets
    for row, units in zip(shortlist.rows, shortlist.sentences.units, strict=True):
        assert units.tolist() == list(range(offsets[row], offsets[row + 1]))
    vector = stage.question_vector(ranking)
    expected = stage.version.dense.inner_products(vector, np.array(shortlist.rows))
    assert np.allclose(shortlist.chunk_cos, expected)
    assert stage.sentences(ranking, [], settings) is NO_SENTENCES


# --- read ----------------------------------------------------------------------------------


def _shortlist() -> Shortlist:
    # Passage 0 (first-stage best) holds units 10, 11; passage 1 unit 20; passage 2 none.
    sentences = PassageSentences(
        units=(np.array([10, 11]), np.array([20]), np.zeros(0, dtype=np.int64)),
        cosines=(np.array([0.5, 0.4]), np.array([0.3]), np.zeros(0)),
        scores=(np.array([0.5, 0.6]), np.array([0.3]), np.zeros(0)),
    )
    return Shortlist(
        rows=[7, 3, 5],
        fused=np.array([1.0, 0.5, 0.0]),
        sentences=sentences,
        chunk_cos=np.array([0.6, 0.4, 0.2]),
    )


class WordScorer:
    """Logit +3 for a sentence holding ``word``, -3 otherwise; records what it read."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: list[list[str]] = []

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        self.seen.append(list(sentences))
        hit = re.compile(rf"\b{self.word}\b")
        return np.array([3.0 if hit.search(s) else -3.0 for s in sentences])


TEXTS = {10: "Otters swim.", 11: "Otters eat crabs.", 20: "Herons eat frogs."}


def test_the_null_reader_keeps_the_first_stage() -> None:
    shortlist = _shortlist()
    reader = NullReader()
    assert reader.depth(3) == 3
    reading = reader.read("anything", shortlist)
    assert reading.order.tolist() == [0, 1, 2]
    assert reading.scores.tolist() == [1.0, 0.5, 0.0]
    assert reading.highlight.tolist() == [11, 20, -1]  # best first-stage score; none for none
    assert len(reading.units) == len(reading.logits) == 0  # it reads nothing
    assert reader.logits("anything", np.array([10])) is None
    assert first_stage_best(shortlist.sentences).tolist() == [11, 20, -1]


def test_the_cross_encoder_reader_reorders_and_falls_back_to_the_first_stage() -> None:
    scorer = WordScorer("frogs")
    reader = CrossEncoderReader(
        ReaderSettings(passages=8, sentences=1, mix=1.0, fused_weight=1.0),
        lambda: scorer,
        TEXTS.__getitem__,
    )
    assert reader.depth(3) == 8 and reader.depth(20) == 20
    reading = reader.read("q", _shortlist())
    assert scorer.seen == [["Otters eat crabs."]]  # one sentence: the first stage's best
    assert reading.highlight.tolist() == [11, 20, -1]  # unread passages keep their best
    assert reading.units.tolist() == [11] and reading.logits.tolist() == [-3.0]
    later = reader.logits("q", np.array([20, 10]))
    assert later is not None and later.tolist() == [3.0, -3.0]
    frogs = CrossEncoderReader(
        ReaderSettings(mix=1.0, fused_weight=1.0), lambda: scorer, TEXTS.__getitem__
    )
    assert frogs.read("q", _shortlist()).order.tolist()[0] == 1  # the herons' passage moves up


def test_the_cross_encoder_reader_reads_nothing_of_an_empty_shortlist() -> None:
    def no_scorer() -> WordScorer:
        raise AssertionError("an empty shortlist needs no cross-encoder")

    empty = Shortlist(rows=[], fused=np.zeros(0), sentences=NO_SENTENCES, chunk_cos=np.zeros(0))
    reading = CrossEncoderReader(ReaderSettings(), no_scorer, TEXTS.__getitem__).read("q", empty)
    assert len(reading.order) == len(reading.highlight) == 0


def test_make_reader_chooses_once() -> None:
    def scorer() -> WordScorer:
        return WordScorer("x")

    assert isinstance(make_reader(None, scorer=scorer, text=str), NullReader)
    assert isinstance(make_reader(ReaderSettings(), scorer=scorer, text=str), CrossEncoderReader)


# --- decide --------------------------------------------------------------------------------


HEADS = ConfidenceModel(
    reader=Head(("logit", "sentence"), (1.0, 0.0), 0.0, 0.4),
    first_stage=Head(("chunk",), (10.0,), -5.0, 0.3),
    reader_lower=Head(("logit",), (1.0,), -1.0, 0.4),
    first_stage_lower=Head(("chunk",), (10.0,), -6.0, 0.3),
)


def test_each_passage_is_judged_by_the_head_of_what_read_it(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    stage = _first_stage(notes_index, fake_embedder)
    settings = SearchSettings()
    ranking = stage.rank(_resolved(stage, "sponge cakes eggs"), settings)
    shortlist = stage.shortlist(ranking, 3, settings)
    null = NullReader().read("q", shortlist)
    # The reader read one sentence of the first passage; the others are scored when judged.
    read = replace(null, units=shortlist.sentences.units[0][:1], logits=np.array([-2.0]))
    asked: list[list[int]] = []

    def logits(units: np.ndarray) -> np.ndarray:
        asked.append(units.tolist())
        return np.where(np.isin(units, shortlist.sentences.units[1]), 1.0, -9.0)

    heads = replace(HEADS, sentences=1)
    judged = judge(stage.version, shortlist, read, 3, "sponge cakes eggs", heads, logits=logits)
    assert len(asked) <= 1  # at most one call, for the sentences not read yet
    chunk = shortlist.chunk_cos.astype(np.float64)
    logit = judged.inputs["logit"]
    assert logit[1] == 1.0 and logit[2] == -9.0
    assert logit[0] in (-2.0, -9.0)  # its nearest sentence: the one read, or another
    # The first card by the reader head, the ones below by its lower twin (one less).
    expected = 1 / (1 + np.exp(-(logit - np.array([0.0, 1.0, 1.0]))))
    assert np.allclose(judged.probabilities, expected)
    # Cards never show more than the card above them: the reader's order stands.
    assert judged.shown == tuple(np.minimum.accumulate(expected).tolist())
    assert judged.threshold == 0.4 and judged.abstains  # under the reader head's 0.4
    # Lower heads that do not read the logit: only the first card's sentences are read.
    asked.clear()
    no_logit_below = replace(heads, reader_lower=Head(("chunk",), (10.0,), -6.0, 0.4))
    judge(stage.version, shortlist, read, 3, "q", no_logit_below, logits=logits)
    first_units = set(shortlist.sentences.units[0].tolist())
    assert all(set(call) <= first_units for call in asked)
    lower = judge(stage.version, shortlist, read, 3, "q", heads, logits=logits, threshold=0.0)
    assert not lower.abstains
    fast = judge(
        stage.version,
        shortlist,
        null,
        3,
        "sponge cakes eggs",
        heads,
        logits=lambda u: None,
        reads=False,
    )
    assert fast.threshold == 0.3  # no cross-encoder: the first-stage head decides
    assert np.isnan(fast.inputs["logit"]).all()
    assert np.allclose(fast.probabilities, 1 / (1 + np.exp(np.array([5, 6, 6]) - 10 * chunk)))


def test_confidence_inputs_describe_the_question_and_passage_alone(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    stage = _first_stage(notes_index, fake_embedder)
    settings = SearchSettings()
    ranking = stage.rank(_resolved(stage, "sponge cakes eggs"), settings)
    shortlist = stage.shortlist(ranking, 2, settings)
    reading = NullReader().read("q", shortlist)
    question = "sponge cakes eggs"
    inputs = passage_inputs(
        stage.version, shortlist, reading, [1, 0], question, lambda u: np.zeros(len(u)), 2
    )
    assert set(inputs) == set(FEATURES)
    cosines = shortlist.sentences.cosines
    assert inputs["sentence"].tolist() == pytest.approx([cosines[1].max(), cosines[0].max()])
    assert inputs["chunk"].tolist() == pytest.approx(shortlist.chunk_cos[[1, 0]].tolist())
    tokenizer = stage.version.sparse.tokenizer
    weights = question_weights(tokenizer, "sponge cakes eggs")
    text = stage.version.chunks[shortlist.rows[0]].text
    assert inputs["coverage"][1] == pytest.approx(covered(weights, set(tokenizer(text))))
    assert inputs["logit"].tolist() == [0.0, 0.0]
    # The sentences read for a passage's logit are its nearest by cosine and weighted words.
    chosen = confidence_units(stage.version, shortlist, 0, weights, 1)
    units, cos = shortlist.sentences.units[0], shortlist.sentences.cosines[0]
    starts, ends = stage.version.units.start, stage.version.units.end
    doc = stage.version.documents[stage.version.chunks[shortlist.rows[0]].doc_id].text
    score = [
        c + 0.5 * covered(weights, set(tokenizer(doc[starts[u] : ends[u]])))
        for u, c in zip(units, cos, strict=True)
    ]
    assert chosen.tolist() == [units[int(np.argmax(score))]]
    # No name in the question: nothing its documents could miss.
    assert inputs["named"].tolist() == [1.0, 1.0]
    # The share of the question's names each passage's document holds, whatever the case.
    asked = "Did the Ferry bring Sponge cakes and Sugar to Lisbon?"
    named = passage_inputs(
        stage.version, shortlist, reading, [0, 1], asked, lambda u: np.zeros(len(u)), 2
    )["named"]
    expected = {"cakes.md": 2 / 4, "ferry.md": 1 / 4, "bread.md": 0.0}  # Sponge, Sugar; Ferry
    documents = [stage.version.chunks[shortlist.rows[p]].doc_id for p in (0, 1)]
    assert named.tolist() == [expected[Path(d).name] for d in documents]


def test_nothing_found_abstains() -> None:
    empty = Judged(np.zeros(0, np.int64), {}, np.zeros(0), (), 0.3)
    assert empty.abstains


# --- cite ----------------------------------------------------------------------------------


def test_cited_passages_quote_their_documents(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    stage = _first_stage(notes_index, fake_embedder)
    version = stage.version
    settings = SearchSettings()
    ranking = stage.rank(_resolved(stage, "sponge cakes eggs"), settings)
    shortlist = stage.shortlist(ranking, 3, settings)
    reading = NullReader().read("q", shortlist)
    passages = cite(version, shortlist, reading, [0.8, 0.3])
    assert len(passages) == 2
    for passage, row in zip(passages, shortlist.rows, strict=False):
        text = version.documents[passage.doc_id].text
        assert text[passage.start : passage.end] == passage.text
        ((a, b),) = passage.highlights
        assert passage.start <= a < b <= passage.end
        assert passage.confidence in (0.8, 0.3)
        assert version.chunks[row].doc_id == passage.doc_id
    backwards = Reading(reading.order[::-1], reading.scores, reading.highlight)
    assert (
        cite(version, shortlist, backwards, [0.5])[0].start
        == version.chunks[shortlist.rows[-1]].start
    )
    bulk = ranked(version, shortlist.rows, shortlist.fused)
    assert [p.highlights for p in bulk] == [()] * len(bulk)
    assert all(p.confidence is None for p in bulk)


# --- the whole path through ask's settings -------------------------------------------------


def test_ask_settings_name_the_reader() -> None:
    with pytest.raises(InvalidInputError, match="unknown reader 'fast'; valid readers are"):
        AskSettings(reader="fast")  # type: ignore[arg-type]
    settings = SearchSettings()
    assert AskSettings().search_settings(settings) is settings
    assert AskSettings(reader="none").search_settings(settings).reader is None


def test_without_a_reader_the_answer_is_the_first_stage_order(
    notes_index: Path, fake_embedder: FakeEmbedder
) -> None:
    retriever = Retriever(notes_index, embedder=fake_embedder, settings=SearchSettings(reader=None))
    ranking = retriever.rank("ferry harbour boats")
    answer = retriever.answer("ferry harbour boats", k=3)
    chunks = retriever.version.chunks
    assert [(p.doc_id, p.start) for p in answer.passages] == [
        (chunks[int(r)].doc_id, chunks[int(r)].start) for r in ranking.rows[:3]
    ]
