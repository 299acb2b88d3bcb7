"""SQuAD JSON as docqa evaluation data, folds by article, and answered hits."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.squad_folds import passage_units
from ingest.errors import InvalidInputError
from ingest.formats.loaders import load_markdown
from ingest.sync.pipeline import ingest
from retrieval.eval.evaluation import METRIC_KEYS, Question, evaluate, load_questions
from retrieval.eval.squad import read_squad, squad_folds, write_articles, write_questions
from retrieval.retriever import Retriever
from retrieval.types import Answer, Passage
from tests.support.fakes import FakeEmbedder

RIVER = [
    "The Zeta river rises in the northern hills. It flows 120 km to the sea at Portmouth.",
    "Salmon return to the Zeta every autumn. Fishing has been banned since 1998.",
]
CASTLE = [
    "Ordel Castle was built in 1204 by Count Amar. Its walls are 9 metres thick.",
    "The castle fell in 1450 after a siege of three months.  ",  # trailing spaces, as in SQuAD
]


def _qa(qid: str, question: str, context: str, *answers: str) -> dict[str, Any]:
    found = [{"text": a, "answer_start": context.index(a)} for a in answers]
    if answers:
        return {"id": qid, "question": question, "answers": found, "is_impossible": False}
    # SQuAD 2.0 gives an unanswerable question the answer it looks like it has.
    plausible = [{"text": "Salmon", "answer_start": 0}] if "Salmon" in context else []
    return {
        "id": qid,
        "question": question,
        "answers": [],
        "plausible_answers": plausible,
        "is_impossible": True,
    }


def _squad() -> dict[str, Any]:
    return {
        "version": "v2.0",
        "data": [
            {
                "title": "Zeta_river",
                "paragraphs": [
                    {
                        "context": RIVER[0],
                        "qas": [
                            _qa("r1", "How long is the Zeta?", RIVER[0], "120 km", "120 km"),
                            _qa("r2", "Where does the Zeta end?", RIVER[0], "Portmouth", "the sea"),
                        ],
                    },
                    {
                        "context": RIVER[1],
                        "qas": [
                            _qa("r3", "Since when is fishing banned?", RIVER[1], "1998"),
                            _qa("r4", "When did salmon leave the Zeta?", RIVER[1]),
                        ],
                    },
                ],
            },
            {
                "title": "Ordel_Castle",
                "paragraphs": [
                    {
                        "context": CASTLE[0],
                        "qas": [_qa("c1", "Who built Ordel Castle?", CASTLE[0], "Count Amar")],
                    },
                    {
                        "context": CASTLE[1],
                        "qas": [
                            _qa("c2", "When did the castle fall?", CASTLE[1], "1450"),
                            # Marked impossible, yet with an answer: the mark wins.
                            {
                                "id": "c3",
                                "question": "Who rebuilt the castle?",
                                "answers": [{"text": "1450", "answer_start": 19}],
                                "is_impossible": True,
                            },
                        ],
                    },
                ],
            },
        ],
    }


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_articles_keep_answer_offsets_shifted_by_the_heading(tmp_path: Path) -> None:
    data = _squad()
    squad = read_squad(_write(tmp_path, data))
    paths = write_articles(squad.articles, tmp_path / "articles")
    assert [p.name for p in paths] == ["Zeta_river.md", "Ordel_Castle.md"]
    by_id = {q.id: q for q in squad.questions}
    for entry, path in zip(data["data"], paths, strict=True):
        text = path.read_text(encoding="utf-8")
        heading = f"# {entry['title'].replace('_', ' ')}\n\n"
        assert text.startswith(heading)
        offset = len(heading)  # each paragraph follows the previous one and a blank line
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                for answer in [] if qa["is_impossible"] else qa["answers"]:
                    start = offset + answer["answer_start"]
                    assert text[start : start + len(answer["text"])] == answer["text"]
                    assert (start, start + len(answer["text"])) in by_id[qa["id"]].spans
            offset += len(paragraph["context"]) + 2
        # docqa reads the file as written, and every paragraph lies inside the indexed body.
        document = load_markdown(path, path.name, path.read_bytes())
        assert document.text == text
        (section,) = document.sections
        assert section.path == (entry["title"].replace("_", " "),)
        assert section.start == len(heading)
        assert (
            text[section.start : section.end]
            == "\n\n".join(p["context"] for p in entry["paragraphs"]).rstrip()
        )


def test_question_records_have_deduplicated_evidence_and_empty_for_impossible(
    tmp_path: Path,
) -> None:
    squad = read_squad(_write(tmp_path, _squad()))
    by_id = {q.id: q for q in squad.questions}
    assert by_id["r1"].evidence == ("120 km",)  # two crowd answers, one text
    assert by_id["r2"].evidence == ("Portmouth", "the sea")
    assert by_id["r4"].evidence == () and by_id["c3"].evidence == ()
    assert by_id["r4"].spans == ()
    assert by_id["c2"].title == "Ordel_Castle" and by_id["c2"].paragraph == 1
    path = write_questions(squad.questions, tmp_path / "q.jsonl")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first == {
        "id": "r1",
        "question": "How long is the Zeta?",
        "evidence": ["120 km"],
        "title": "Zeta_river",
    }
    assert load_questions(path) == [q.as_question() for q in squad.questions]


def test_folds_never_put_one_article_on_both_sides(tmp_path: Path) -> None:
    titles = ["Warsaw", "Huguenot", "Islamism", "1973_oil_crisis", "Immune_system"]
    titles += ["European_Union_law", "Packet_switching", "French_and_Indian_War"]
    folds = squad_folds(titles)
    ordered = sorted(titles)
    assert folds == tuple((ordered[2 * k], ordered[2 * k + 1]) for k in range(4))
    assert sorted(t for fold in folds for t in fold) == ordered  # each title exactly once
    squad = read_squad(_write(tmp_path, _squad()))
    two = squad_folds([a.title for a in squad.articles], n=2)
    assert two == (("Ordel_Castle",), ("Zeta_river",))
    asked = [squad.questions_of(fold) for fold in two]
    assert {q.title for q in asked[0]}.isdisjoint({q.title for q in asked[1]})
    assert sorted(q.id for fold in asked for q in fold) == sorted(q.id for q in squad.questions)
    with pytest.raises(InvalidInputError, match="n=3"):
        squad_folds(titles, n=3)
    with pytest.raises(InvalidInputError, match="repeat"):
        squad_folds(["a", "a"], n=2)


def _misplaced_answer(data: dict[str, Any]) -> None:
    data["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 3


def _same_title(data: dict[str, Any]) -> None:
    data["data"][1]["title"] = "Zeta_river"


def _heading_paragraph(data: dict[str, Any]) -> None:
    data["data"][1]["paragraphs"][0] = {"context": "# Castles\nOrdel stands.", "qas": []}


def _no_questions(data: dict[str, Any]) -> None:
    del data["data"][0]["paragraphs"][1]["qas"]


def _repeated_id(data: dict[str, Any]) -> None:
    data["data"][1]["paragraphs"][0]["qas"][0]["id"] = "r1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_misplaced_answer, "not at answer_start=3"),
        (_same_title, "titles must be distinct"),
        (_heading_paragraph, "reads as a Markdown heading"),
        (_no_questions, "not a SQuAD article"),
        (_repeated_id, "appears twice"),
    ],
)
def test_bad_squad_files_raise_typed_errors(tmp_path: Path, change: Any, message: str) -> None:
    data = _squad()
    change(data)
    with pytest.raises(InvalidInputError, match=message):
        read_squad(_write(tmp_path, data))


def test_unreadable_squad_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such"):
        read_squad(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a JSON"):
        read_squad(tmp_path / "bad.json")
    with pytest.raises(InvalidInputError, match="'data'"):
        read_squad(_write(tmp_path, {"version": "v2.0"}))


TEXT = "Alpha beta. The answer is here. Gamma delta."


def _passage(start: int, end: int) -> Passage:
    return Passage("d", "t", (), None, start, end, TEXT[start:end], 1.0, ((start, end),))


def test_answered_hits_count_abstentions_as_misses() -> None:
    questions = [
        Question("a", "q1", ("answer",)),  # hit at 1, answered
        Question("b", "q2", ("answer",)),  # hit at 1, abstained
        Question("c", "q3", ("gamma",)),  # hit at 3, answered
        Question("d", "q4", ("alpha",)),  # hit at 2, abstained
        Question("e", "q5", ()),  # unanswerable, not in the answered figures
    ]
    alpha, answer, gamma = _passage(0, 11), _passage(12, 31), _passage(32, 44)
    answers = {
        "q1": Answer("q1", (answer, alpha), False, 1.0),
        "q2": Answer("q2", (answer, alpha), True, 1.0),
        "q3": Answer("q3", (alpha, answer, gamma), False, 1.0),
        "q4": Answer("q4", (gamma, alpha), True, 1.0),
        "q5": Answer("q5", (alpha,), False, 1.0),
    }
    figures = evaluate(questions, answers.__getitem__, lambda d: TEXT)
    assert (figures["hit@1"], figures["hit@3"]) == (0.5, 1.0)
    assert (figures["answered_hit@1"], figures["answered_hit@3"]) == (0.25, 0.5)
    assert figures["n_answerable"] == 4
    assert tuple(figures) == METRIC_KEYS


def test_answered_hits_on_a_fake_index_of_squad_articles(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    squad = read_squad(_write(tmp_path, _squad()))
    paths = write_articles(squad.articles, tmp_path / "articles")
    index = tmp_path / "index"
    ingest(paths, index=index, embedder=fake_embedder)
    retriever = Retriever(index, embedder=fake_embedder)
    docs = retriever.version.documents
    questions = [q.as_question() for q in squad.questions]

    def figures(min_relevance: float) -> dict[str, Any]:
        settings = replace(retriever.settings, min_relevance=min_relevance)
        answering = retriever.with_settings(settings)
        return evaluate(questions, lambda q: answering.answer(q, k=5), lambda d: docs[d].text)

    never, always = figures(0.0), figures(1.0)  # nothing abstains / everything abstains
    assert never["hit@1"] == always["hit@1"] > 0  # retrieval ignores abstention
    assert never["false_abstention_rate"] == 0.0 and always["false_abstention_rate"] == 1.0
    assert (never["answered_hit@1"], never["answered_hit@3"]) == (never["hit@1"], never["hit@3"])
    assert (always["answered_hit@1"], always["answered_hit@3"]) == (0.0, 0.0)
    assert never["citation_validity"] == 1.0


def test_passage_units_count_cut_paragraphs_mixed_chunks_and_cut_answers() -> None:
    paragraphs = [(0, 100), (102, 200), (202, 300)]
    chunks = [(0, 60), (60, 100), (102, 200), (202, 250), (250, 300)]
    answers = [[(10, 20)], [(55, 65)], [(55, 65), (70, 80)], [(240, 260)]]
    counts = passage_units(paragraphs, chunks, answers)
    assert counts == {
        "paragraphs": 3,
        "chunks": 5,
        "paragraphs_cut": 2,  # the first (two chunks) and the last (two chunks)
        "chunks_mixed": 0,
        "answers": 4,
        "answers_cut": 2,  # (55, 65) alone, and (240, 260)
    }
    assert passage_units(paragraphs, [(0, 200), (202, 300)])["chunks_mixed"] == 1
