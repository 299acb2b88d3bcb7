"""Term overlap for ranking sentences: content terms of a question and their IDF coverage."""

from __future__ import annotations

from ingest.index.sparse import SparseIndex, SparseSettings, Tokenizer
from retrieval.relevance import coverage, question_terms


def test_content_terms_drop_question_words_and_keep_stemmed_content() -> None:
    tokenizer = Tokenizer(SparseSettings())
    terms = tokenizer.content_terms("When did the summits take place, and why were they held?")
    assert "summit" in terms and "place" in terms
    assert not {"when", "did", "whi", "why", "were", "they"} & set(terms)
    # The BM25 tokens keep the question words the short stop-word list does not cover.
    assert {"when", "did"} <= set(tokenizer("When did the summit take place?"))


def test_question_of_function_words_only_falls_back_to_all_tokens() -> None:
    tokenizer = Tokenizer(SparseSettings())
    assert question_terms(tokenizer, "What is it?") == tokenizer("What is it?")
    assert question_terms(tokenizer, "Who hosted the summit?") == ["host", "summit"]


def test_question_words_absent_from_the_corpus_no_longer_lower_coverage() -> None:
    texts = ["Russia hosted the summit in October.", "Grain exports fell sharply."]
    sparse = SparseIndex.build(texts, SparseSettings())
    passage = set(sparse.tokenizer(texts[0]))
    question = "When did Russia host the summit?"
    all_tokens = sparse.tokenizer(question)
    content = question_terms(sparse.tokenizer, question)
    assert coverage(all_tokens, passage, sparse.idf(all_tokens)) < 0.5
    assert coverage(content, passage, sparse.idf(content)) == 1.0
    missing = question_terms(sparse.tokenizer, "What is the population of Russia?")
    assert coverage(missing, passage, sparse.idf(missing)) < 0.5
