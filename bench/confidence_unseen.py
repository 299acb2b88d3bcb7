"""The confidence heads on documents the cross-encoder never saw: held out twice.

The shipped heads are fitted (``python -m training --step confidence``) on questions read by
the shipped cross-encoder, which trained on squad2-train, covidqa-train and the written
documents: their logits there are sharper than on a user's documents. Here the same
questions are asked again with each read by the fold model trained without its article
(``foldK-model``, ``python -m training --step folds``), and heads fitted the shipped way on
the other folds' articles score each held-out fold's rows: per set, the expected calibration
error (ten bins), the share of "likely" (>= 50%) first cards that hold the answer and the
share abstained at the shipped threshold. Both collections are kept in ``--build`` and read
back on later runs (about 8 minutes each on 2 cores the first time).

    python -m bench.confidence_unseen [--build DIR] [--fold-models DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training import BUILD, FOLD_MODELS


def unseen_figures(
    shipped: Sequence[dict[str, Any]], unseen: Sequence[dict[str, Any]], threshold: float
) -> dict[str, dict[str, Any]]:
    """Per set (:func:`training.confidence.set_figures`): heads fitted on ``shipped``'s rows
    outside each article fold, applied to ``unseen``'s rows of that fold (the same questions
    in the same order)."""
    from training.confidence import READER_FEATURES, _first_cards, held_out, set_figures

    if [r["group"] for r in shipped] != [r["group"] for r in unseen]:
        raise ValueError("the two collections do not hold the same questions in the same order")
    p = held_out(shipped, "reader", READER_FEATURES, unseen)
    _, y_unseen = _first_cards(unseen, "reader", READER_FEATURES)
    return set_figures(unseen, p, y_unseen, threshold)


def main(argv: list[str] | None = None) -> int:
    """Collect (or read back) both sets of rows and print the table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--build", type=Path, default=BUILD)
    parser.add_argument("--fold-models", type=Path, default=FOLD_MODELS)
    args = parser.parse_args(argv)
    if not (args.fold_models / "fold0-model").is_dir():
        parser.error(f"no fold models in {args.fold_models}: python -m training --step folds")

    from retrieval.confidence import CONFIDENCE_FILE
    from training.confidence import collect

    shipped = collect(args.build / "confidence")
    unseen = collect(args.build / "confidence-unseen", args.fold_models)
    threshold = json.loads(CONFIDENCE_FILE.read_text(encoding="utf-8"))["reader"]["threshold"]
    print(f"reader heads, threshold {threshold}; logits from the fold models, held out by article")
    print("| set | questions | first right | ECE | likely right | abstained |")
    print("|---|---|---|---|---|---|")
    for name, f in unseen_figures(shipped, unseen, threshold).items():
        likely = "nan" if f["likely_right"] is None else f["likely_right"]
        print(
            f"| {name} | {f['questions']} | {f['first_right']} | {f['ece']} "
            f"| {likely} | {f['abstained']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
