"""Training docqa's own weights: the answer-sentence cross-encoder.

``python -m bench.train.reranker`` trains, measures and exports it.

Nothing in the product imports this package; its output is the artifact committed under
``retrieval/rerank/model/``.
"""

from pathlib import Path

#: The recipe ``make train`` ships (``bench.train.reranker.RECIPES``).
SHIPPED = "listwise-w"
#: Its per-fold models (``python -m bench.train.reranker --folds``), each trained without its
#: fold's SQuAD articles and written documents: what the held-out pipeline figures read.
FOLD_MODELS = Path(__file__).resolve().parent.parent / "out" / "train" / SHIPPED
