"""The probability on a card and the decision to abstain do not move with what else is
indexed: the article alone, and the article among twelve unrelated documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.embedding.protocol import Embedder
from ingest.sync.pipeline import ingest
from retrieval.api import get_retriever
from retrieval.eval.evaluation import load_questions
from tests.support.paths import CORPUS, ROOT

pytestmark = pytest.mark.model

DATA = ROOT / "bench" / "data"
#: Documents on other subjects (written for training the reader; none about Kazakhstan).
OTHERS = DATA / "reader_training" / "docs"


@pytest.fixture(scope="module")
def among_others(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Path:
    folder = tmp_path_factory.mktemp("among")
    shutil.copytree(CORPUS, folder / "corpus")
    shutil.copytree(OTHERS, folder / "others")
    index = folder / "index"
    ingest([folder / "corpus", folder / "others"], index=index, embedder=real_embedder)
    return index


def test_the_same_passage_gets_the_same_probability_and_decisions_hold(
    real_index: Path, among_others: Path
) -> None:
    near = load_questions(DATA / "article_near_topic.jsonl")
    answerable = [q for q in load_questions(DATA / "article_dev.jsonl") if q.evidence]
    alone, among = get_retriever(real_index), get_retriever(among_others)
    compared = flips = 0
    for q in [*near, *answerable]:
        a, b = alone.answer(q.question), among.answer(q.question)
        flips += a.abstained != b.abstained
        first_a, first_b = a.passages[0], b.passages[0]
        if (first_a.doc_id, first_a.start) == (first_b.doc_id, first_b.start):
            # Nothing the probability reads depends on the other documents.
            assert first_a.confidence == pytest.approx(first_b.confidence, abs=1e-3), q.question
            assert a.abstained == b.abstained, q.question
            compared += 1
    questions = len(near) + len(answerable)
    assert compared >= 0.8 * questions  # most first passages are the same passage
    assert flips <= 0.05 * questions
    # And the decisions mean something: most near-topic questions abstain in both.
    assert sum(alone.answer(q.question).abstained for q in near) >= 0.6 * len(near)
