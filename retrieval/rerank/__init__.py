"""docqa's own cross-encoder: how well a sentence answers a question.

The second stage of ``ask()`` (:mod:`retrieval.reader`, on by default) reads the first
stage's best sentences with it. Runs on OpenVINO with the ``tokenizers`` library only (no
PyTorch); the int8 model ships in ``model/`` with its model card and the reader's fitted
blend (``reader.json``), both built by ``python -m training``.
"""

from retrieval.rerank.scorer import MODEL_DIR, ScorerModelError, SentenceScorer

__all__ = ["MODEL_DIR", "ScorerModelError", "SentenceScorer"]
