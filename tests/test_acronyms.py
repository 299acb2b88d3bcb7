"""Acronyms of a question spelled out from the passages the second stage reads."""

from __future__ import annotations

from retrieval.acronyms import expand, long_form

TREATY = "Kazakhstan joined the Collective Security Treaty Organization in 1992."
EUROPE = "It sits in the Organization for Security and Co-operation in Europe as well."


def test_a_long_form_is_capitalised_words_whose_initials_spell_the_acronym() -> None:
    assert long_form("CSTO", TREATY) == "Collective Security Treaty Organization"
    # "for", "and", "in" are skipped; a hyphenated word is one word.
    assert long_form("OSCE", EUROPE) == "Organization for Security and Co-operation in Europe"
    assert long_form("CSTO", "Collective, Security Treaty Organization") is None
    assert long_form("CSTO", "collective security treaty organization") is None
    assert long_form("G20", TREATY) is None


def test_a_two_letter_acronym_needs_its_definition() -> None:
    assert long_form("US", "Unlike Some others, it stayed.") is None
    assert long_form("EU", "The European Union (EU) agreed.") == "European Union"
    assert long_form("EU", "The European Union agreed.") is None


def test_the_question_gets_each_long_form_after_its_acronym() -> None:
    question = "Is it in the OSCE and the CSTOs?"
    assert expand(question, [TREATY, EUROPE]) == (
        "Is it in the OSCE (Organization for Security and Co-operation in Europe) "
        "and the CSTOs (Collective Security Treaty Organization)?"
    )
    assert expand("Is it in NATO?", [TREATY]) == "Is it in NATO?"
    assert expand("Is it in the CSTO?", []) == "Is it in the CSTO?"
