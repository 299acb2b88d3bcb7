"""docqa's own cross-encoder: how well a sentence answers a question (not wired into ask() yet).

Runs on OpenVINO with the ``tokenizers`` library only (no PyTorch); the int8 model ships in
``model/`` with its model card.
"""

from retrieval.rerank.scorer import MODEL_DIR, ScorerModelError, SentenceScorer

__all__ = ["MODEL_DIR", "ScorerModelError", "SentenceScorer"]
