"""The answer-sentence cross-encoder: recipes, the shipped model and the per-fold models.

``train_final`` trains on all of SQuAD 2.0's eight training articles (and, with the shipped
recipe, the documents written for training) and exports the int8 model, checked against the
float model, to ``retrieval/rerank/model/`` (:mod:`training.export`). ``train_fold`` trains
without one fold's articles and documents (two SQuAD articles per fold,
:mod:`training.squad`) and exports it unchecked to :data:`training.BUILD`: the pipeline's
held-out candidates are read by these (``bench.train.reranker`` measures them). Seeds are
fixed and the data order is deterministic.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from training import BUILD, MODEL_DIR
from training.candidates import Group, rank_by_cosine, training_groups
from training.covidqa import load_covidqa
from training.export import export_int8
from training.squad import Article, Question, load_squad
from training.trainer import Recipe, train
from training.written import load_written

#: The recipes compared on folds; ``training.SHIPPED`` is the one shipped.
RECIPES = {
    "bce": Recipe(name="bce", loss="bce"),
    "listwise": Recipe(name="listwise", loss="both"),
    "listwise-6": Recipe(name="listwise-6", layers=6, loss="both"),
    "listwise-w": Recipe(name="listwise-w", loss="both", written=True),
    "listwise-wy": Recipe(name="listwise-wy", loss="both", written=True, yes_no=True),
    "listwise-w6": Recipe(name="listwise-w6", layers=6, loss="both", written=True),
    # covidqa-train too, in float32: measured on one fold, not kept (bench/train/README.md, 17).
    "listwise-wq": Recipe(
        name="listwise-wq", loss="both", written=True, covidqa=True, bfloat16=False
    ),
    "listwise-wc": Recipe(name="listwise-wc", loss="both", written=True, context=1, max_tokens=144),
    # 6 layers, the written documents and covidqa-train, bfloat16 (bench/train/README.md, 19).
    "listwise-wq6": Recipe(name="listwise-wq6", layers=6, loss="both", written=True, covidqa=True),
}


def calibration_pairs(groups: list[Group], count: int = 128) -> list[tuple[str, str]]:
    """``count`` training pairs spread over ``groups`` (each group's first and last sentence),
    for the int8 export's activation ranges."""
    step = max(1, len(groups) // (count // 2))
    chosen = groups[::step][: count // 2]
    return [(g.question, s) for g in chosen for s in (g.sentences[0], g.sentences[-1])]


def save_weights(model: Any, path: Path) -> None:
    """The trained float weights, for later exports (``safetensors``, never pickle)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))


def training_data(recipe: Recipe) -> tuple[dict[str, Article], list[Question]]:
    """SQuAD's eight articles and, when the recipe says so, the written documents' questions
    (their yes/no questions too if the recipe says that as well) and covidqa-train's."""
    articles, questions = load_squad()
    if recipe.written:
        more, asked = load_written()
        articles = {**articles, **more}
        questions = questions + [q for q in asked if recipe.yes_no or q.kind != "yes-no"]
    if recipe.covidqa:
        more, asked = load_covidqa()
        articles = {**articles, **more}
        questions = questions + asked
    return articles, questions


def fold_groups(
    recipe: Recipe,
    k: int,
    articles: dict[str, Article],
    questions: list[Question],
    ranked: list[Any],
) -> list[Group]:
    """The training groups of fold ``k``'s model: every question outside fold ``k``."""
    train_rows = [i for i, q in enumerate(questions) if q.fold != k]
    return training_groups(
        articles,
        [questions[i] for i in train_rows],
        [ranked[i] for i in train_rows],
        hard=recipe.hard,
        easy=recipe.easy,
        seed=recipe.seed,
        context=recipe.context,
    )


def train_fold(
    recipe: Recipe,
    k: int,
    articles: dict[str, Article],
    questions: list[Question],
    ranked: list[Any],
    *,
    out: Path = BUILD,
) -> float:
    """Train without fold ``k`` and export the int8 model (calibrated on training pairs only,
    unchecked) to ``out/RECIPE/foldK-model``, its float weights to ``foldK.safetensors``;
    returns the training seconds."""
    started = time.monotonic()
    groups = fold_groups(recipe, k, articles, questions, ranked)
    print(f"fold {k}: {len(groups)} training questions, recipe {recipe.name}", flush=True)
    model = train(groups, recipe)
    trained = time.monotonic() - started
    save_weights(model, out / recipe.name / f"fold{k}.safetensors")
    export_int8(
        model,
        recipe,
        out / recipe.name / f"fold{k}-model",
        calibration_pairs(groups),
        log=False,
        strict=False,
    )
    return trained


def train_folds(recipe: Recipe, folds: list[int], *, out: Path = BUILD) -> None:
    """:func:`train_fold` for each fold in ``folds``; ``out/RECIPE/foldK.json`` records the
    recipe and the times."""
    articles, questions = training_data(recipe)
    ranked = rank_by_cosine(articles, questions)
    for k in folds:
        started = time.monotonic()
        trained = train_fold(recipe, k, articles, questions, ranked, out=out)
        info = {
            "recipe": asdict(recipe),
            "train_seconds": round(trained, 1),
            "total_seconds": round(time.monotonic() - started, 1),
        }
        (out / recipe.name / f"fold{k}.json").write_text(json.dumps(info, indent=1))
        print(f"fold {k}: trained in {trained:.0f}s, {info['total_seconds']:.0f}s in all")


def train_final(recipe: Recipe, target: Path = MODEL_DIR, *, out: Path = BUILD) -> None:
    """Train on all eight articles (and the written documents, if the recipe says so) and
    export the checked int8 model to ``target``; the float weights go to
    ``out/final.safetensors``."""
    started = time.monotonic()
    articles, questions = training_data(recipe)
    ranked = rank_by_cosine(articles, questions)
    groups = training_groups(
        articles,
        questions,
        ranked,
        hard=recipe.hard,
        easy=recipe.easy,
        seed=recipe.seed,
        context=recipe.context,
    )
    print(f"final: {len(groups)} training questions, recipe {recipe.name}", flush=True)
    model = train(groups, recipe)
    trained = time.monotonic() - started
    save_weights(model, out / "final.safetensors")
    check = export_int8(model, recipe, target, calibration_pairs(groups))
    total = time.monotonic() - started
    print(f"final: trained in {trained:.0f}s, exported and checked in {total:.0f}s in all")
    print(json.dumps(check, indent=1))
