"""``python -m training``: build every shipped learned file, step by step (``make train``).

    python -m training [--step STEP ...] [--build DIR] [--target DIR]

Steps, in order (all of them by default; a later step reads what the earlier ones wrote):

1. ``final``: the cross-encoder on all the data, int8, checked, into ``--target``
   (``model.xml``, ``model.bin``, ``tokenizer.json``, ``export.json``; about 8 minutes).
2. ``folds``: one model per fold, each trained without its fold's SQuAD articles and written
   documents, into ``BUILD/RECIPE/foldK-model``.
3. ``indexes``: the first stage's indexes of SQuAD's folds (``BUILD/squad_folds``) and of the
   written documents (``BUILD/written``).
4. ``fit``: the second stage's candidates on both, each read by the fold model that never saw
   it, and the reader's blend fitted on them, folds by article, into ``--target/reader.json``.
5. ``confidence``: questions over documents that hold their answer and over documents that
   do not, asked through the shipped path, and the confidence heads fitted on them, folds by
   article, into ``--target/confidence.json`` (:mod:`training.confidence`).

Run from anywhere with ``HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false`` (``make train`` sets
both); nothing is downloaded. Seeds are fixed and the data order is deterministic: on the
CPU the committed files were trained on, the last full run gave the same model and
fold-model weights byte for byte and the same blend and heads to the sixth decimal. Bytes
are not promised (bfloat16 kernels round differently from one instruction set to the next,
and an earlier model's two runs differed in ``model.bin``): compare a rebuilt model by its
figures (``python -m bench.model_agreement``; MODEL_CARD.md, "Reproducing").
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from training import BUILD, MODEL_DIR, SHIPPED

STEPS = ("final", "folds", "indexes", "fit", "confidence")


def run(steps: list[str], *, build: Path = BUILD, target: Path = MODEL_DIR) -> None:
    """Run ``steps`` (names of :data:`STEPS`) in their order, with the shipped recipe."""
    from training.reranker import RECIPES, train_final, train_folds

    recipe = RECIPES[SHIPPED]
    for step in (s for s in STEPS if s in steps):
        started = time.monotonic()
        print(f"== {step}", flush=True)
        if step == "final":
            train_final(recipe, target, out=build)
        elif step == "folds":
            from training.squad import FOLDS

            train_folds(recipe, list(range(FOLDS)), out=build)
        elif step == "indexes":
            from training.indexes import squad_fold_indexes, written_index

            squad_fold_indexes(build / "squad_folds")
            written_index(build / "written")
        elif step == "confidence":
            from training.confidence import collect, fit

            fit(collect(build / "confidence"), target / "confidence.json")
        else:
            from training.reader_features import squad_features, written_features
            from training.reader_fit import fit_folds, write_blend

            models = build / recipe.name
            sets = {
                "squad": squad_features(build / "squad_folds", models),
                "written": written_features(build / "written", models),
            }
            write_blend(fit_folds(sets), target / "reader.json")
        print(f"== {step}: {time.monotonic() - started:.0f}s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the steps."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(
        prog="python -m training", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--step",
        action="append",
        choices=STEPS,
        help="run only this step (repeatable; default: all, in order)",
    )
    parser.add_argument("--build", type=Path, default=BUILD, help="intermediate files")
    parser.add_argument("--target", type=Path, default=MODEL_DIR, help="the shipped folder")
    args = parser.parse_args(argv)
    run(args.step or list(STEPS), build=args.build, target=args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
