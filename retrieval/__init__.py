"""docqa retrieval: ask a question, get cited passages with highlighted sentences."""

from retrieval.api import AskSettings, ask, default_index_dir
from retrieval.retriever import Retriever, SearchSettings
from retrieval.types import Answer, Passage

__all__ = [
    "Answer",
    "AskSettings",
    "Passage",
    "Retriever",
    "SearchSettings",
    "ask",
    "default_index_dir",
]
