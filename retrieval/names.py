"""Whether a passage's document names what the question names.

A question about Kazakhstan's area is not answered by a passage on Warsaw's, however well
the wording matches ("square kilometres", "area"): its document never says "Kazakhstan".
The names a question uses (the words it writes with a capital letter after its first word,
acronyms among them: "Australia", "BRICS") are looked up in the whole document of each
passage it is about to cite, as words, whatever their case. The share found is one of the
confidence model's inputs (:mod:`retrieval.confidence`); it depends on the question and the
document alone, never on what else is indexed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from ingest.formats.document import JOINED_RUNS

_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_POSSESSIVE = re.compile(r"['’]s?$")
#: A name :attr:`ingest.formats.document.Document.words` can hold as one of its words.
_ONE_WORD = re.compile(rf"\w+(?:[-'’]\w+){{0,{JOINED_RUNS - 1}}}")
#: Capitalised words that name nothing (a question's own "I").
_NOT_NAMES = frozenset({"i", "i'm", "i've", "i'd", "ok"})


def question_names(question: str) -> tuple[str, ...]:
    """The words of ``question`` written as names: capitalised after its first word, in
    order, each once, without a possessive ending.

    Example:
        >>> question_names("What is the area of Kazakhstan's capital, Astana?")
        ('Kazakhstan', 'Astana')
        >>> question_names("Which ferries sail from the Port of Tallinn?")
        ('Port', 'Tallinn')
        >>> question_names("what is the boiling point of water?")
        ()
    """
    names: list[str] = []
    for line in question.splitlines():
        for word in _WORD.findall(line)[1:]:
            if not word[0].isupper() or word.lower() in _NOT_NAMES:
                continue
            name = _POSSESSIVE.sub("", word).strip("-")
            if len(name) > 1 and name not in names:
                names.append(name)
    return tuple(names)


def _pattern(name: str) -> re.Pattern[str]:
    """``name`` as a whole word, whatever the case."""
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)


def named_share(names: Sequence[str], text: str, words: AbstractSet[str] | None = None) -> float:
    """The share (0..1) of ``names`` that ``text`` holds as whole words, whatever the case;
    1.0 when there are none (nothing to miss).

    ``words``, when given, are the text's words lower-cased, as
    :attr:`ingest.formats.document.Document.words` holds them: a name that is one such word
    ("Kazakhstan", "SARS-CoV-2") is then looked up there instead of searched for in the
    text, with the same result; any other (a rare "A--B", a chain of more than
    :data:`~ingest.formats.document.JOINED_RUNS` runs) is still searched for.

    Example:
        >>> named_share(("Kazakhstan", "Russia"), "Russia banned imports of ...")
        0.5
        >>> named_share((), "anything")
        1.0
    """
    if not names:
        return 1.0
    found = 0
    for name in names:
        key = name.lower()
        if words is not None and _ONE_WORD.fullmatch(key):
            found += key in words
        else:
            found += _pattern(name).search(text) is not None
    return found / len(names)
