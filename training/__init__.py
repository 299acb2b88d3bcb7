"""Builds every learned file docqa ships, under ``retrieval/rerank/model/`` (``make train``).

    python -m training                 # every step, in order (about 57 minutes, 2 cores)
    python -m training --step fit      # one step again, from the previous steps' files

The steps (:mod:`training.__main__`): the answer-sentence cross-encoder trained on all the data
and exported as OpenVINO int8 (``model.xml``, ``model.bin``, ``tokenizer.json``,
``export.json``); one such model per fold, each trained without its fold's articles and
documents; the first stage's indexes of SQuAD's folds and of the written documents; the
second stage's candidates on both, each read by the fold model that never saw it; and the
reader's blend fitted on them, folds by article (``reader.json``); the confidence heads
(``confidence.json``). Intermediate files go to :data:`BUILD` (not committed).

Nothing in the product imports this package; ``bench`` may (it measures what is built here).
"""

from pathlib import Path

#: The repository (data paths are relative to it and to its sibling ``shared/``).
ROOT = Path(__file__).resolve().parent.parent
#: Where the shipped model folder lives in the source tree.
MODEL_DIR = ROOT / "retrieval" / "rerank" / "model"
#: Intermediate files of ``python -m training``: fold models, indexes (never shipped).
BUILD = ROOT / "build" / "training"
#: The recipe ``make train`` ships (``training.reranker.RECIPES``).
SHIPPED = "listwise-wq6"
#: Its per-fold models (``python -m training --step folds``), each trained without its
#: fold's SQuAD articles, written documents and covidqa-train articles: what the held-out
#: pipeline figures read.
FOLD_MODELS = BUILD / SHIPPED
