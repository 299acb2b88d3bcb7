"""Training docqa's own weights: the answer-sentence cross-encoder.

``python -m bench.train.reranker`` trains, measures and exports it.

Nothing in the product imports this package; its output is the artifact committed under
``retrieval/rerank/model/``.
"""
