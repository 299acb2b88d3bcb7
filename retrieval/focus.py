"""The part of a long question the search and the reader read: what it asks, not the letter
around it.

People paste a page of background and ask their question at its end. The embedding model
reads the first 256 word pieces of a question and the cross-encoder cuts the longer side of a
question-passage pair, so a question asked after 300 words of context is never read, and the
context alone matches nothing well: docqa abstained. A question longer than
:data:`FOCUS_WORDS` words is read as its last asking sentence (the last one ending in "?", else
the last sentence), with the sentences just before it while they fit in the same budget.
"""

from __future__ import annotations

import re

from ingest.text.sentences import sentence_spans

#: Questions up to this many words are read whole.
FOCUS_WORDS = 64
#: A clause that asks, after a comma, semicolon or colon: "Thanking you in advance, which
#: exports did the ban cover?" asks "which exports did the ban cover?".
_ASKING_CLAUSE = re.compile(
    r"[,;:]\s+((?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|"
    r"can|could|should|would|will|has|have|had)\b[^,;:]*\?)\W*$",
    re.IGNORECASE,
)
#: An asking sentence shorter than this many words does not stand alone ("Why?", "When was
#: it built?"): the sentences just before it are added ...
STANDALONE_WORDS = 5
#: ... while the whole stays within this many words. Context beyond that only blurs what
#: the search and the reader look for.
CONTEXT_WORDS = 30


def focus(question: str, *, max_words: int = FOCUS_WORDS, context: int = CONTEXT_WORDS) -> str:
    """``question`` itself when it has at most ``max_words`` words, else what it asks: its
    last sentence ending in "?" (else its last sentence; from its last clause that starts
    with a question word, when it has one). When that is shorter than
    :data:`STANDALONE_WORDS` words, the sentences before it are added while the total stays
    within ``context`` words; an asking sentence longer than ``max_words`` keeps its last
    ``max_words`` words.

    Example:
        >>> focus("Some background. " * 40 + "Why did it stop?")
        'Some background. Some background. ... Why did it stop?'  # doctest: +SKIP
    """
    if len(question.split()) <= max_words:
        return question
    sentences = [question[a:b].strip() for a, b in sentence_spans(question)]
    sentences = [s for s in sentences if s]
    if not sentences:
        return question
    asking = [i for i, s in enumerate(sentences) if s.rstrip("\"'”’)]» ").endswith("?")]
    core = asking[-1] if asking else len(sentences) - 1
    clause = _ASKING_CLAUSE.search(sentences[core])
    if clause is not None:
        sentences[core] = clause.group(1)
    words = sentences[core].split()
    if len(words) > max_words:
        return " ".join(words[-max_words:])
    chosen, total = [sentences[core]], len(words)
    for sentence in reversed(sentences[:core]):
        size = len(sentence.split())
        if total >= STANDALONE_WORDS or total + size > context:
            break
        chosen.insert(0, sentence)
        total += size
    return " ".join(chosen)
