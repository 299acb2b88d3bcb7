"""Held-out figures of the answer-sentence cross-encoder's recipes, fold by fold.

    python -m bench.train.reranker --folds [--recipe NAME] [--fold K]   # train and measure
    python -m bench.train.reranker --report [--recipe NAME ...]         # their table again
    python -m bench.train.reranker --rescore [--recipe NAME]            # held-out questions again
    python -m bench.train.reranker --requantise int8-weights [--fold K] # another int8 export

``--folds`` trains one model per held-out fold (SQuAD 2.0's eight training articles, two per
fold, :mod:`training.squad`; :func:`training.reranker.train_fold`, models under
``build/training/RECIPE/``) and scores the held-out questions' top
:data:`~training.candidates.EVAL_CANDIDATES` sentences by bi-encoder cosine; the scores go
to ``bench/out/train/RECIPE/foldK.npz`` and the table (:mod:`bench.train.metrics`) is printed.
``--requantise`` exports the saved fold weights another way and measures them again. The
shipped model and its fold models are built by ``python -m training`` (``make train``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace

import numpy as np

from bench.train.metrics import (
    SCORERS,
    FoldScores,
    candidate_recall,
    fold_figures,
    head_figures,
)
from retrieval.rerank import SentenceScorer
from training import BUILD, ROOT, SHIPPED
from training.candidates import EVAL_CANDIDATES, Ranked, rank_by_cosine
from training.export import Quantisation, export_int8
from training.reranker import (
    RECIPES,
    calibration_pairs,
    fold_groups,
    train_fold,
    training_data,
)
from training.squad import FOLDS, Article, Question, load_squad
from training.trainer import Recipe
from training.written import load_written

#: The held-out scores (``foldK.npz``) and the models of ``--requantise``.
OUT = ROOT / "bench" / "out" / "train"

HEAD = "answerability head"


def _score_fold(
    scorer: SentenceScorer,
    articles: dict[str, Article],
    questions: list[Question],
    ranked: list[Ranked],
    context: int = 0,
) -> FoldScores:
    """Held-out questions' top candidates by cosine (read with ``context``), scored by
    ``scorer``."""
    logits, cosine, is_answer = [], [], []
    for q, r in zip(questions, ranked, strict=True):
        top = r.order[:EVAL_CANDIDATES]
        sentences = [articles[q.title].reading(int(j), context) for j in top]
        logits.append(scorer.logits(q.text, sentences))
        cosine.append(r.cosine[:EVAL_CANDIDATES])
        is_answer.append([int(j) in q.answers for j in top])
    return FoldScores(
        cosine=np.array(cosine, dtype=np.float32),
        logit=np.array(logits, dtype=np.float32),
        is_answer=np.array(is_answer, dtype=bool),
        answerable=np.array([q.answerable for q in questions]),
    )


def run_folds(recipe: Recipe, folds: list[int]) -> None:
    """Train without each fold in ``folds`` (:func:`training.reranker.train_fold`), score its
    questions, save the scores (SQuAD's in ``foldK.npz``, the written documents' in
    ``foldK-written.npz``)."""
    articles, questions = training_data(recipe)
    ranked = rank_by_cosine(articles, questions)
    for k in folds:
        started = time.monotonic()
        trained = train_fold(recipe, k, articles, questions, ranked)
        score_held_out(recipe, k, articles, questions, ranked)
        info = {
            "recipe": asdict(recipe),
            "train_seconds": round(trained, 1),
            "total_seconds": round(time.monotonic() - started, 1),
        }
        (OUT / recipe.name).mkdir(parents=True, exist_ok=True)
        (OUT / recipe.name / f"fold{k}.json").write_text(json.dumps(info, indent=1))
        print(f"fold {k}: trained in {trained:.0f}s, {info['total_seconds']:.0f}s in all")


def score_held_out(
    recipe: Recipe,
    k: int,
    articles: dict[str, Article],
    questions: list[Question],
    ranked: list[Ranked],
    *,
    squad: bool = True,
) -> None:
    """Score fold ``k``'s SQuAD questions (``foldK.npz``, unless ``squad`` is False) and the
    written documents' (``foldK-written.npz``; a model that never saw any written document
    is scored on them too) with ``recipe``'s fold model, each sentence read as the recipe
    reads it; the yes/no questions among both also go to ``foldK-yes-no.npz``."""
    scorer = SentenceScorer(BUILD / recipe.name / f"fold{k}-model")
    written, asked = load_written()
    articles = {**articles, **written}
    rank_of = {q.qid: r for q, r in zip(questions, ranked, strict=True)}
    missing = [q for q in asked if q.qid not in rank_of and q.fold == k]
    if missing:
        more = rank_by_cosine(written, missing)
        rank_of.update(zip((q.qid for q in missing), more, strict=True))
    held_squad = [q for q in questions if squad and q.fold == k and q.title not in written]
    held_written = [q for q in asked if q.fold == k]
    for suffix, chosen in (
        ("", held_squad),
        ("-written", held_written),
        ("-yes-no", [q for q in held_squad + held_written if q.yes_no]),
    ):
        if chosen:
            rows = [rank_of[q.qid] for q in chosen]
            scores = _score_fold(scorer, articles, chosen, rows, recipe.context)
            scores.save(OUT / recipe.name / f"fold{k}{suffix}.npz")


def requantise(recipe: Recipe, mode: Quantisation, folds: list[int]) -> str:
    """Export the saved fold weights of ``recipe`` with ``mode`` and score the held-out folds
    again, as recipe ``NAME-MODE``; returns its name."""
    from safetensors.torch import load_file

    from training.trainer import new_model

    articles, questions = training_data(recipe)
    ranked = rank_by_cosine(articles, questions)
    name = f"{recipe.name}-{mode}"
    for k in folds:
        model = new_model(recipe.layers, recipe.seed, recipe.pooling)
        model.load_state_dict(load_file(str(BUILD / recipe.name / f"fold{k}.safetensors")))
        groups = fold_groups(recipe, k, articles, questions, ranked)
        folder = OUT / name / f"fold{k}-model"
        export_int8(model, recipe, folder, calibration_pairs(groups), strict=False, mode=mode)
        test = [i for i, q in enumerate(questions) if q.fold == k]
        _score_fold(
            SentenceScorer(folder),
            articles,
            [questions[i] for i in test],
            [ranked[i] for i in test],
            recipe.context,
        ).save(OUT / name / f"fold{k}.npz")
    return name


def report(names: list[str], suffix: str = "") -> str:
    """The Markdown table of every recipe's saved fold scores (folds missing are skipped);
    ``suffix`` ``-written``: the written documents' held-out scores."""
    lines = [
        "| recipe | scorer | fold | candidate recall | hit@1 | AUC | threshold | abstention "
        "| false abstention |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        paths = {k: OUT / name / f"fold{k}{suffix}.npz" for k in range(FOLDS)}
        folds = {k: FoldScores.load(p) for k, p in paths.items() if p.is_file()}
        for scorer in (*SCORERS, HEAD):
            if scorer == HEAD and len(folds) < 2:
                continue
            rows = []
            for k, fold in folds.items():
                others = [f for j, f in folds.items() if j != k]
                if scorer == HEAD:
                    figures = head_figures(fold, others)
                else:
                    figures = fold_figures(fold, others, scorer)
                rows.append(figures)
                lines.append(_row(name, scorer, str(k), candidate_recall(fold), figures))
            if len(rows) > 1:
                mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
                recall = float(np.mean([candidate_recall(f) for f in folds.values()]))
                lines.append(_row(name, scorer, "mean", recall, mean))
    return "\n".join(lines)


def _row(name: str, scorer: str, fold: str, recall: float, f: dict[str, float]) -> str:
    def cell(key: str) -> str:
        return f"{f[key]:.3f}" if key in f else "-"

    keys = ("hit@1", "auc", "threshold", "abstention", "false_abstention")
    return f"| {name} | {scorer} | {fold} | {recall:.3f} | " + " | ".join(map(cell, keys)) + " |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--folds", action="store_true", help="held-out figures per fold")
    mode.add_argument("--report", action="store_true", help="print the saved fold figures")
    mode.add_argument(
        "--rescore",
        action="store_true",
        help="score the held-out questions again with a recipe's saved fold models",
    )
    mode.add_argument(
        "--requantise",
        choices=["int8", "int8-weights"],
        help="export the saved fold weights this way and measure them again",
    )
    parser.add_argument(
        "--recipe",
        action="append",
        help=f"one of {', '.join(RECIPES)} (--report: any name under {OUT})",
    )
    parser.add_argument("--fold", type=int, action="append", choices=range(FOLDS))
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    args = parser.parse_args(argv)
    names = args.recipe or [SHIPPED]
    if args.report:
        for suffix in ("", "-written", "-yes-no"):
            print(report(names, suffix))
        return
    if names[0] not in RECIPES:
        parser.error(f"unknown recipe {names[0]!r}; valid recipes are: {', '.join(RECIPES)}")
    recipe = RECIPES[names[0]]
    if args.epochs:
        recipe = replace(recipe, epochs=args.epochs, name=f"{recipe.name}-e{args.epochs}")
    if args.requantise:
        name = requantise(recipe, args.requantise, args.fold or list(range(FOLDS)))
        print(report([name]))
        return
    if args.rescore:
        articles, questions = load_squad()
        ranked = rank_by_cosine(articles, questions)
        for k in args.fold or list(range(FOLDS)):
            score_held_out(recipe, k, articles, questions, ranked)
    else:
        run_folds(recipe, args.fold or list(range(FOLDS)))
    for suffix in ("", "-written", "-yes-no"):
        print(report([recipe.name], suffix))


if __name__ == "__main__":
    main()
