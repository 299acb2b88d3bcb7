"""The confidence heads: what each card's percentage means, fitted on questions whose
documents hold the answer and on questions whose documents do not.

Four sets of questions are asked through the product's own path (rank, shortlist, read,
judge: :meth:`retrieval.retriever.Retriever.judge`), and the inputs of the passages each
answer would cite are kept with whether each holds the evidence:

- ``squad``: squad2-train's questions over its eight articles (half unanswerable by design);
- ``covid``: covidqa-train's questions over its 49 long articles;
- ``written``: the questions written for training (:mod:`training.written`) over their
  twelve documents;
- ``squad-cross``, ``covid-cross``: questions of one half of the articles asked over an index
  of the other half, where nothing answers them (the "not in these documents" of real use).

Each head is a logistic model fitted on the first card of every answer, the ``reader`` head
on the cross-encoder's path and the ``first_stage`` head on the fast path; each ``_lower``
twin on the cards below the first. SQuAD's
unanswerable questions (written to fool a reader with a near-miss sentence; more than half
of its questions, far more than in real use) count half: at full weight they made every
other set's percentages too low (held-out ECE on covidqa-train 0.112 against 0.057). Its figures are
held out by article (every question of an article in the same one of five folds); its
abstention threshold is the highest at which, on those held-out probabilities, at most 5% of
the answers whose first card holds the answer would abstain (balancing that against
abstaining on the cross sets instead gave 0.36, which over the bundled article abstained on
a third of the answerable questions whose first card was right). ``confidence.json`` gets
the heads fitted on everything and the held-out figures.

    python -m training --step confidence
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.confidence import Head
from training import ROOT
from training.reader_fit import fit_logistic

SHARED = ROOT.parent / "shared" / "eval"
SQUAD_FILE = SHARED / "squad2-train" / "squad2-8-articles.json"
COVID = SHARED / "covidqa-train"
#: Cards per answer, as ``ask`` returns by default.
K = 5
FOLDS = 5
READER_FEATURES = ("logit", "sentence", "chunk", "coverage", "named")
FIRST_STAGE_FEATURES = ("sentence", "chunk", "coverage", "named")
#: The cards below the first are judged without the cross-encoder's logit: reading their
#: sentences cost about 50 ms a question, and a lower card is rarely shown as likely.
LOWER_FEATURES = FIRST_STAGE_FEATURES
#: Questions of each cross set (a fixed sample).
CROSS_QUESTIONS = 400
#: Sentences of each passage the cross-encoder reads for its ``logit``.
SENTENCES = 3
#: The weight of a SQuAD question written to be unanswerable, beside 1 for every other.
SQUAD_UNANSWERABLE_WEIGHT = 0.5
#: The share of answers with a right first card that may abstain: the threshold's budget.
MAX_FALSE_ABSTENTION = 0.05


@dataclass(frozen=True)
class Asked:
    """One question, as a set of the training data asks it."""

    set: str
    group: str  # its article: what held-out folds split by
    question: str
    evidence: tuple[str, ...]
    reader_fold: int  # the fold of its article in the cross-encoder's folds (``foldK-model``)


def _fold(group: str) -> int:
    return zlib.crc32(group.encode("utf-8")) % FOLDS


def _squad(work: Path) -> tuple[list[Path], list[Asked]]:
    from retrieval.eval.squad import read_squad, squad_folds, write_articles
    from training.indexes import SQUAD_FOLDS

    squad = read_squad(SQUAD_FILE)
    paths = write_articles(squad.articles, work / "squad-articles")
    by_title = {a.title: p for a, p in zip(squad.articles, paths, strict=True)}
    folds = squad_folds([a.title for a in squad.articles], n=SQUAD_FOLDS)
    fold_of = {title: k for k, titles in enumerate(folds) for title in titles}
    asked = [
        Asked("squad", by_title[q.title].name, q.question, q.evidence, fold_of[q.title])
        for q in squad.questions
    ]
    return list(paths), asked


def _covid() -> tuple[list[Path], list[Asked]]:
    from retrieval.eval.evaluation import load_questions
    from training.covidqa import article_folds

    files = sorted((COVID / "corpus").glob("*.txt"))
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    fold_of = article_folds()
    asked = []
    for q in load_questions(COVID / "questions.jsonl"):
        owner = next((p for p, t in texts.items() if q.evidence and q.evidence[0] in t), None)
        if owner is not None:
            asked.append(Asked("covid", owner.name, q.question, q.evidence, fold_of[owner.name]))
    return files, asked


def _written(work: Path) -> tuple[Path, list[Asked]]:
    from retrieval.eval.evaluation import load_questions
    from training.indexes import written_index
    from training.written import load_written

    index, questions = written_index(work / "written")
    _, loaded = load_written()
    title = {q.qid: q.title for q in loaded}
    fold = {q.qid: q.fold for q in loaded}
    asked = [
        Asked("written", title[q.id], q.question, q.evidence, fold[q.id])
        for q in load_questions(questions)
    ]
    return index, asked


def _ingest(index: Path, paths: Sequence[Path]) -> Path:
    from ingest.index.backends.settings import BackendSettings
    from ingest.sync.pipeline import Ingestor

    Ingestor(index, backend=BackendSettings(kind="faiss")).run(list(paths))
    return index


def _halves(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    ordered = sorted(paths, key=lambda p: zlib.crc32(p.name.encode("utf-8")))
    return ordered[::2], ordered[1::2]


def _cross(
    name: str, paths: Sequence[Path], asked: Sequence[Asked], work: Path
) -> Iterator[tuple[Path, list[Asked]]]:
    """Questions of each half of the articles over an index of the other half."""
    halves = _halves(paths)
    rng = random.Random(11)
    for i, (own, other) in enumerate((halves, halves[::-1])):
        names = {p.name for p in own}
        mine = [a for a in asked if a.group in names]
        mine = rng.sample(mine, min(CROSS_QUESTIONS // 2, len(mine)))
        index = _ingest(work / f"{name}-half-{i}", other)
        yield index, [Asked(f"{name}-cross", a.group, a.question, (), a.reader_fold) for a in mine]


def _cards(retriever: Any, asked: Asked) -> dict[str, Any]:
    from retrieval.eval.evaluation import contains_evidence

    ranking = retriever.rank(asked.question)
    shortlist, _, judged = retriever.judge(ranking, K)
    rows = [shortlist.rows[int(p)] for p in judged.positions]
    texts = [retriever.version.chunks[r].text for r in rows]
    return {
        "inputs": {k: [round(float(x), 6) for x in v] for k, v in judged.inputs.items()},
        "right": [bool(asked.evidence) and contains_evidence(t, asked.evidence) for t in texts],
    }


def collect(work: Path, fold_models: Path | None = None) -> list[dict[str, Any]]:
    """Every training question asked on both paths, with its cards' inputs and labels
    (written to ``work/confidence.jsonl``; a finished file is read back).

    With ``fold_models`` (``foldK-model`` folders), each question is read by the
    cross-encoder trained without its article, so the heads learn what the logits are worth
    on documents the model never saw; without, every question is read by the shipped model.
    """
    from retrieval.retriever import Retriever

    out = work / "confidence.jsonl"
    if out.is_file():
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    work.mkdir(parents=True, exist_ok=True)
    squad_paths, squad = _squad(work)
    covid_paths, covid = _covid()
    written_index, written = _written(work)
    jobs: list[tuple[Path, list[Asked]]] = [
        (_ingest(work / "squad", squad_paths), squad),
        (_ingest(work / "covid", covid_paths), covid),
        (written_index, written),
        *_cross("squad", squad_paths, squad, work),
        *_cross("covid", covid_paths, covid, work),
    ]
    asked = _ask_all([(Retriever(index), questions) for index, questions in jobs], fold_models)
    rows = [row for job in asked for row in job]
    partial = out.with_suffix(".partial")
    partial.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    partial.replace(out)
    return rows


def _ask_all(
    jobs: Sequence[tuple[Any, Sequence[Asked]]], fold_models: Path | None
) -> list[list[dict[str, Any]]]:
    """Each job's rows (a retriever and its questions), in the questions' order. With
    ``fold_models``, each fold's model is loaded once for every job and dropped before the
    next (OpenVINO's CPU plugin has stopped processes that held four 6-layer int8 models at
    once, or loaded and dropped one model per fold of every job, with a general protection
    fault)."""
    import gc
    from dataclasses import replace

    from retrieval.rerank import SentenceScorer

    readers = []
    for retriever, _ in jobs:
        model = replace(retriever.settings.confidence, sentences=SENTENCES)
        readers.append(retriever.with_settings(replace(retriever.settings, confidence=model)))
    folds = sorted({a.reader_fold for _, qs in jobs for a in qs}) if fold_models else [None]
    rows: list[dict[int, dict[str, Any]]] = [{} for _ in jobs]
    for k in folds:
        scorer = None
        if fold_models is not None:
            scorer = SentenceScorer(fold_models / f"fold{k}-model")
        for (_, questions), retriever, found in zip(jobs, readers, rows, strict=True):
            mine = sum(k is None or a.reader_fold == k for a in questions)
            fold = "" if k is None else f", fold {k}"
            print(f"  {questions[0].set}{fold}: {mine} questions", flush=True)
            reading = retriever if scorer is None else retriever.with_scorer(scorer)
            fast = retriever.with_settings(replace(retriever.settings, reader=None))
            for i, a in enumerate(questions):
                if k is None or a.reader_fold == k:
                    found[i] = {
                        "set": a.set,
                        "group": a.group,
                        "answerable": bool(a.evidence),
                        "reader": _cards(reading, a),
                        "first_stage": _cards(fast, a),
                    }
            del reading
        del scorer
        gc.collect()
    return [[found[i] for i in range(len(qs))] for (_, qs), found in zip(jobs, rows, strict=True)]


def _first_cards(
    rows: Sequence[dict[str, Any]], path: str, features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[r[path]["inputs"][f][0] for f in features] for r in rows], dtype=np.float64)
    y = np.array([float(r[path]["right"][0]) for r in rows])
    return x, y


def _lower_cards(
    rows: Sequence[dict[str, Any]], path: str, features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every card below the first: inputs, labels, weights (their question's)."""
    weights = _weights(rows)
    x, y, w = [], [], []
    for row, weight in zip(rows, weights, strict=True):
        card = row[path]
        for i in range(1, len(card["right"])):
            x.append([card["inputs"][f][i] for f in features])
            y.append(float(card["right"][i]))
            w.append(weight)
    return np.array(x, dtype=np.float64).reshape(-1, len(features)), np.array(y), np.array(w)


def _weights(rows: Sequence[dict[str, Any]]) -> np.ndarray:
    return np.array(
        [
            SQUAD_UNANSWERABLE_WEIGHT if r["set"] == "squad" and not r["answerable"] else 1.0
            for r in rows
        ]
    )


def _probabilities(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = coef[0] + x @ coef[1:]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def reliability(p: np.ndarray, y: np.ndarray) -> tuple[float, list[tuple[int, float, float]]]:
    """Expected calibration error over ten bins, and each bin's (count, mean p, share right).

    Example:
        >>> reliability(np.array([0.05, 0.95]), np.array([0.0, 1.0]))[0]
        0.05
    """
    bins = np.minimum((p * 10).astype(int), 9)
    table, ece = [], 0.0
    for b in range(10):
        inside = bins == b
        if inside.any():
            shown, right = float(p[inside].mean()), float(y[inside].mean())
            ece += float(inside.mean()) * abs(shown - right)
            table.append((int(inside.sum()), shown, right))
    return ece, table


def held_out(
    rows: Sequence[dict[str, Any]],
    path: str,
    features: Sequence[str],
    scored: Sequence[dict[str, Any]] | None = None,
) -> np.ndarray:
    """Each row's first-card probability from a head fitted without its article's fold;
    with ``scored`` (the same questions read another way, in the same order), the heads
    fitted on ``rows`` give the probabilities of ``scored``'s first cards."""
    x, y = _first_cards(rows, path, features)
    applied = x if scored is None else _first_cards(scored, path, features)[0]
    weights = _weights(rows)
    folds = np.array([_fold(r["group"]) for r in rows])
    p = np.zeros(len(rows))
    for k in range(FOLDS):
        test = folds == k
        train = np.column_stack([np.ones((~test).sum()), x[~test]])
        coef = fit_logistic(train, y[~test], weights=weights[~test])
        p[test] = _probabilities(coef, applied[test])
    return p


def threshold(rows: Sequence[dict[str, Any]], p: np.ndarray, path: str) -> float:
    """The highest threshold (in hundredths) at which no more than
    :data:`MAX_FALSE_ABSTENTION` of the questions whose first card holds the answer abstain,
    on held-out probabilities ``p``."""
    right = np.array([r[path]["right"][0] for r in rows], dtype=bool)
    held = np.sort(p[right])
    if not len(held):
        return 0.5
    quantile = float(held[int(np.floor(MAX_FALSE_ABSTENTION * len(held)))])
    return float(np.floor(quantile * 100) / 100)


def fit_head(rows: Sequence[dict[str, Any]], path: str, features: Sequence[str]) -> dict[str, Any]:
    """One head fitted on every row, its threshold and its held-out figures by set."""
    x, y = _first_cards(rows, path, features)
    coef = fit_logistic(np.column_stack([np.ones(len(y)), x]), y, weights=_weights(rows))
    p = held_out(rows, path, features)
    t = threshold(rows, p, path)
    head = Head(tuple(features), tuple(float(c) for c in coef[1:]), float(coef[0]), t)
    return {"head": head.as_dict(), "held_out": set_figures(rows, p, y, t)}


def set_figures(
    rows: Sequence[dict[str, Any]], p: np.ndarray, y: np.ndarray, threshold: float
) -> dict[str, dict[str, Any]]:
    """Per set of ``rows``, for first-card probabilities ``p`` and labels ``y``: questions,
    share right, calibration error, share of "likely" (>= 50%) cards right (None: none is)
    and share abstained at ``threshold``."""
    sets = np.array([r["set"] for r in rows])
    figures: dict[str, dict[str, Any]] = {}
    for name in sorted(set(sets)):
        inside = sets == name
        ece, _ = reliability(p[inside], y[inside])
        likely = p[inside] >= 0.5
        figures[name] = {
            "questions": int(inside.sum()),
            "first_right": round(float(y[inside].mean()), 4),
            "ece": round(ece, 4),
            "likely_right": round(float(y[inside][likely].mean()), 4) if likely.any() else None,
            "abstained": round(float((p[inside] < threshold).mean()), 4),
        }
    return figures


def fit_lower(
    rows: Sequence[dict[str, Any]], path: str, features: Sequence[str], threshold: float
) -> Head:
    """The head of the cards below the first (``threshold``: its first-card twin's, unused)."""
    x, y, w = _lower_cards(rows, path, features)
    coef = fit_logistic(np.column_stack([np.ones(len(y)), x]), y, weights=w)
    return Head(tuple(features), tuple(float(c) for c in coef[1:]), float(coef[0]), threshold)


def lower_figures(rows: Sequence[dict[str, Any]], path: str) -> dict[str, Any]:
    """Per set, held out by article: of every card shown at 50% or more (first-card head for
    the first, lower head below, none above the card before), the share holding the answer."""
    from retrieval.confidence import non_increasing

    features = READER_FEATURES if path == "reader" else FIRST_STAGE_FEATURES
    folds = np.array([_fold(r["group"]) for r in rows])
    first = held_out(rows, path, features)
    features = LOWER_FEATURES
    shown: list[list[float]] = [[] for _ in rows]
    for k in range(FOLDS):
        train = [r for r, f in zip(rows, folds, strict=True) if f != k]
        x, y, w = _lower_cards(train, path, features)
        coef = fit_logistic(np.column_stack([np.ones(len(y)), x]), y, weights=w)
        for i in (int(n) for n in np.flatnonzero(folds == k)):
            card = rows[i][path]
            below = np.array(
                [[card["inputs"][f][j] for f in features] for j in range(1, len(card["right"]))]
            ).reshape(-1, len(features))
            p = [float(first[i]), *_probabilities(coef, below).tolist()]
            shown[i] = non_increasing(p)
    figures: dict[str, Any] = {}
    for name in sorted({r["set"] for r in rows}):
        likely = [
            right
            for row, p in zip(rows, shown, strict=True)
            if row["set"] == name
            for right, q in zip(row[path]["right"], p, strict=True)
            if q >= 0.5
        ]
        figures[name] = round(float(np.mean(likely)), 4) if likely else None
    return figures


def fit(rows: Sequence[dict[str, Any]], target: Path) -> dict[str, Any]:
    """Fit the four heads on ``rows`` and write ``target`` (``confidence.json``)."""
    reader = fit_head(rows, "reader", READER_FEATURES)
    first = fit_head(rows, "first_stage", FIRST_STAGE_FEATURES)
    for path, fitted in (("reader", reader), ("first_stage", first)):
        for name, share in lower_figures(rows, path).items():
            fitted["held_out"][name]["likely_cards_right"] = share
    reader_lower = fit_lower(rows, "reader", LOWER_FEATURES, reader["head"]["threshold"])
    first_lower = fit_lower(rows, "first_stage", FIRST_STAGE_FEATURES, first["head"]["threshold"])
    data = {
        "reader": reader["head"],
        "first_stage": first["head"],
        "reader_lower": reader_lower.as_dict(),
        "first_stage_lower": first_lower.as_dict(),
        "sentences": SENTENCES,
        "fitted_on": "squad2-train (its unanswerable questions at half weight), "
        "covidqa-train, written; cross-article questions; the first card of each answer, "
        "and the cards below it for the _lower heads",
        "held_out": {"reader": reader["held_out"], "first_stage": first["held_out"]},
    }
    target.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    for name in ("reader", "first_stage", "reader_lower", "first_stage_lower"):
        print(f"{name}: {json.dumps(data[name])}")
    for name in ("reader", "first_stage"):
        for set_name, figures in data["held_out"][name].items():
            print(f"  {name}, {set_name}: {json.dumps(figures)}")
    return data
