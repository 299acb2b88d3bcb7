"""The reader's blend and abstention model on dumped features, held out by fold.

Reads ``bench/out/reader_features-squad.pkl`` (``python -m bench.reader_features``), and more
feature files with ``--features`` (the written documents': their fold ``k`` goes with SQuAD's
fold ``k``); prints each fold's parameters and held-out figures, the pooled figures and the
fit on all folds (:func:`training.reader_fit.fit_folds`), then, with ``--article``, the
blend's figures on docqa's article. Measures only: the shipped ``reader.json`` is written by
``python -m training`` (``make train``).

    python -m bench.reader_fit [--features PKL ...] [--max-false 0.10]
        [--article bench/out/reader_features-article.pkl]
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

from training import ROOT
from training.reader_fit import FIRST_STAGE, MAX_FALSE, figures, fit_folds


def main(argv: list[str] | None = None) -> int:
    """Folds-by-article figures of the fitted reader, then one fit on all folds."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--features",
        type=Path,
        nargs="+",
        default=[ROOT / "bench/out/reader_features-squad.pkl"],
    )
    parser.add_argument("--article", type=Path)
    parser.add_argument("--max-false", type=float, default=MAX_FALSE)
    args = parser.parse_args(argv)
    sets = {path.stem: pickle.loads(path.read_bytes()) for path in args.features}
    final = fit_folds(sets, args.max_false).params
    if args.article:
        article: list[dict[str, Any]] = pickle.loads(args.article.read_bytes())
        for name in sorted({r["set"] for r in article}):
            part = [r for r in article if r["set"] == name]
            print(
                f"{name}: reader {figures(part, final)}  first stage {figures(part, FIRST_STAGE)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
