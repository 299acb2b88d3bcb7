"""Acronyms in a question spelled out from the passages being read.

"Did the WHO approve it?" asks about a sentence that may only say "the World Health
Organization approved": the second stage's small cross-encoder cannot know the two are one
name. Before it reads, each acronym of the question that the passages spell
out in full is followed in the question by that long form, in brackets. A long form is a
run of capitalised words, separated by spaces only, whose initials give the acronym ("of",
"and", "the" and the like skipped); a two-letter acronym, too easily spelled by chance
("Unlike Some"), only counts where the passage defines it ("European Union (EU)"):

    >>> expand("Is it in the CSTO?", ["It joined the Collective Security Treaty Organization."])
    'Is it in the CSTO (Collective Security Treaty Organization)?'

Only the question the cross-encoder reads changes; retrieval, highlights' offsets and
abstention never see the long form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: An acronym: two to eight capitals (digits after the first allowed), a plural "s" at most.
ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]{1,7})s?\b")
#: A word of a long form: letters, with inner hyphens or apostrophes ("Co-operation").
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
#: Words a long form may hold that its acronym leaves out.
SKIPPED = frozenset({"of", "and", "the", "for", "on", "in", "to", "at", "de", "du", "des", "&"})


def long_form(acronym: str, text: str) -> str | None:
    """The first run of capitalised words in ``text`` whose initials spell ``acronym``, or
    None; for a two-letter acronym only a run followed by ``(ACRONYM)``."""
    if not acronym.isalpha():
        return None
    words = list(_WORD.finditer(text))
    for first in range(len(words)):
        end = _spelled_from(acronym, text, words, first)
        if end is None:
            continue
        found = text[words[first].start() : end]
        if len(acronym) > 2 or re.match(rf"\s*\(\s*{acronym}\s*\)", text[end:]):
            return found
    return None


def _spelled_from(acronym: str, text: str, words: list[re.Match[str]], first: int) -> int | None:
    """Where the long form of ``acronym`` starting at word ``first`` ends, if one does."""
    matched, at, end = 0, first, -1
    while at < len(words) and matched < len(acronym):
        if at > first and text[words[at - 1].end() : words[at].start()].strip():
            return None  # punctuation between words: not one name
        word = words[at].group()
        if matched and word.lower() in SKIPPED:
            at += 1
            continue
        if word[0] != acronym[matched]:
            return None
        matched, end, at = matched + 1, words[at].end(), at + 1
    return end if matched == len(acronym) else None


def expand(question: str, passages: Sequence[str]) -> str:
    """``question`` with each acronym the ``passages`` spell out followed by its long form."""
    spelled: dict[str, str] = {}
    for match in ACRONYM.finditer(question):
        acronym = match.group(1)
        if acronym in spelled:
            continue
        for text in passages:
            found = long_form(acronym, text)
            if found is not None:
                spelled[acronym] = found
                break
    if not spelled:
        return question

    def spell(match: re.Match[str]) -> str:
        found = spelled.get(match.group(1))
        return f"{match.group(0)} ({found})" if found else match.group(0)

    return ACRONYM.sub(spell, question)
