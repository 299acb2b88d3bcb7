"""covidqa-train loads as training data: whole articles per fold, every sentence the evidence
touches counted as an answer."""

from __future__ import annotations

import json
from pathlib import Path

from training.covidqa import load_covidqa, touched


def _folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "000-masks.txt").write_text(
        "Masks and droplets\n\nhttps://example.org/masks\n\n"
        "Surgical masks cut droplet spread by half. The effect held in every ward. "
        "Cloth masks did less.\n\nFunding came from the ministry.\n",
        encoding="utf-8",
    )
    (corpus / "001-bats.txt").write_text(
        "Bats\n\nThe virus was found in three bat species. None of them fell ill.\n",
        encoding="utf-8",
    )
    questions = [
        {
            "id": "q1",
            "question": "How much do masks cut spread?",
            "evidence": ["Surgical masks cut droplet spread by half. The effect held"],
        },
        {"id": "q2", "question": "Which animals carried it?", "evidence": ["three bat species"]},
        {"id": "q3", "question": "Not in any article?", "evidence": ["no such text here"]},
    ]
    (tmp_path / "questions.jsonl").write_text(
        "\n".join(json.dumps(q) for q in questions) + "\n", encoding="utf-8"
    )
    return tmp_path


def test_evidence_over_two_sentences_makes_both_answers_and_articles_keep_their_fold(
    tmp_path: Path,
) -> None:
    articles, questions = load_covidqa(_folder(tmp_path))
    assert [a.fold for a in articles.values()] == [0, 1]
    masks = articles["000-masks"]
    assert [q.qid for q in questions] == ["q1", "q2"]  # q3's evidence is nowhere
    q1, q2 = questions
    assert [masks.sentences[i] for i in sorted(q1.answers)] == [
        "Surgical masks cut droplet spread by half.",
        "The effect held in every ward.",
    ]
    assert (q2.title, q2.fold) == ("001-bats", 1)
    assert [articles["001-bats"].sentences[i] for i in q2.answers] == [
        "The virus was found in three bat species."
    ]
    # Sentences of one paragraph share its number; the next paragraph has another.
    numbers = dict(zip(masks.sentences, masks.paragraphs, strict=True))
    assert numbers["Cloth masks did less."] == numbers["The effect held in every ward."]
    assert numbers["Funding came from the ministry."] != numbers["Cloth masks did less."]


def test_touched_counts_spans_sharing_a_character() -> None:
    spans = [(0, 10), (11, 20), (21, 30)]
    assert touched(spans, 5, 12) == {0, 1}
    assert touched(spans, 10, 11) == frozenset()
    assert touched(spans, 21, 22) == {2}


def test_a_missing_folder_gives_no_data(tmp_path: Path) -> None:
    assert load_covidqa(tmp_path / "absent") == ({}, [])
