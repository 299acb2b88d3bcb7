"""The sentence splitter: the probes of bench/sentence_splitters.py and the offset contract.

The first cases are the ones the regex before the comparison got wrong (each fails on it);
the second are the ones it already got right and must keep.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.text.sentences import sentence_spans


def _split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


FIXED = [
    pytest.param(
        ["The U.S. Army left the base.", "It came back in May."], " ", id="U.S. before a noun"
    ),
    pytest.param(["Sites in the U.K. and the U.S. Navy bases were used."], " ", id="U.K. and U.S."),
    pytest.param(
        ["Patients were enrolled from Jan. 2001 to Dec. 2005.", "All consented."],
        " ",
        id="months",
    ),
    pytest.param(["Steps:", "1. Mix the flour.", "2. Add water.", "3. Bake."], "\n", id="list"),
    pytest.param(
        ["Patients lacked vitamin D.", "We gave them some.", "It took 40 s.", "The end."],
        " ",
        id="single letter before a sentence starter",
    ),
    pytest.param(
        ["It rose in vivo.", "p16INK4A is a marker.", "mRNA fell."],
        " ",
        id="gene symbol opens a sentence",
    ),
    pytest.param(
        ["It was significant (P = .009).", "We confirmed it."], "", id="no space after a bracket"
    ),
    pytest.param(
        ["Rats got PDTC (100 mg/kg, i.p.) 24 h before exercise.", "NF-kB fell."],
        " ",
        id="i.p. before a number",
    ),
    pytest.param(["HIV binds PGT128 (ref. 3) and escapes.", "It was new."], " ", id="ref."),
    pytest.param(
        ["Endothelial cells release NO.", "This relaxes the muscle."], " ", id="acronym NO."
    ),
    pytest.param(
        ["Few cells formed CFU-C.", "Only some grew."], " ", id="hyphenated name ends a sentence"
    ),
]

KEPT = [
    pytest.param(["He moved to the U.S.", "He liked it there."], " ", id="U.S. ends a sentence"),
    pytest.param(["Use a solvent, e.g. Ethanol, i.e. EtOH.", "Then heat it."], " ", id="e.g."),
    pytest.param(["Dr. Smith met Mr. Jones and Prof. Brown.", "They talked."], " ", id="titles"),
    pytest.param(
        ["The dose was 3.5 mg per day.", "It rose to 4.25 mg.", "2020 was worse."],
        " ",
        id="decimals",
    ),
    pytest.param(["He paused...", "Then he spoke.", "Wait… what happened?"], " ", id="ellipsis"),
    pytest.param(["He said, “I will go.”", '"Fine."', "She left."], " ", id="quotes"),
    pytest.param(["J. R. R. Tolkien wrote The Hobbit.", "It sold well."], " ", id="initials"),
    pytest.param(
        ["Work by K. M. Lang and R. A. Spritz (1985) showed it.", "A second study agreed."],
        " ",
        id="initials before A",
    ),
    pytest.param(["Smith et al. (2010) showed it.", "Jones et al. disagreed."], " ", id="et al."),
    pytest.param(
        ["E. coli was found in 3 samples.", "S. aureus was found in 2."], " ", id="E. coli"
    ),
    pytest.param(["Na activates c-Jun.", "Our data agree."], " ", id="c-Jun. is no month"),
    pytest.param(["- first item", "- second item", "Then a sentence."], "\n", id="bullets"),
    pytest.param(["Introduction", "The study began in 2001."], "\n\n", id="blank line"),
    pytest.param(["Results", "The effect was large."], "\n", id="heading line"),
    pytest.param(
        ["This sentence is wrapped\nacross two lines.", "And a second one."], " ", id="wrapped"
    ),
    pytest.param(
        [
            "Statins lower LDL-C by approx. 30% (95% CI, 1.2-2.7; P = .003) in pts. with CHD.",
            "We enrolled 1,024 patients (mean age 63.4 yr; n = 17 vs. 12) in the U.S. and Canada.",
            "Mutations, e.g. c.68_69delAG in BRCA1, were rare (cf. Table 2).",
            "CONCLUSIONS Risk fell by 2.5-fold.",
        ],
        " ",
        id="abstract",
    ),
]


@pytest.mark.parametrize(("sentences", "separator"), FIXED)
def test_the_cases_the_old_regex_got_wrong(sentences: list[str], separator: str) -> None:
    assert _split(separator.join(sentences)) == sentences


@pytest.mark.parametrize(("sentences", "separator"), KEPT)
def test_the_cases_the_old_regex_got_right(sentences: list[str], separator: str) -> None:
    assert _split(separator.join(sentences)) == sentences


def test_a_range_is_split_in_place() -> None:
    text = "Intro. The U.S. Army left. It came back. Outro."
    start, end = text.index("The"), text.index(" Outro")
    assert [text[a:b] for a, b in sentence_spans(text, start, end)] == [
        "The U.S. Army left.",
        "It came back.",
    ]


_PIECES = ["The", "U.S.", "U.K.", "e.g.", "Dr.", "Jan.", "D.", "p53", "mRNA", "3.5", "12"]
_PIECES += ["1.", "(P = .009).", "54%.", "Army", "we", "café", "🌍", "a", "I", "RESULTS"]
_GAPS = [" ", "  ", ". ", "! ", "? ", "… ", '." ', ".) ", ".", "\n", "\n\n", "\t", " \n \n"]
_texts = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.sampled_from(_GAPS), st.text(max_size=8)),
    max_size=60,
).map("".join)
_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(text=_texts, bounds=st.tuples(st.integers(0, 400), st.integers(0, 400)))
def test_spans_keep_the_contract_for_any_text_and_range(text: str, bounds: tuple[int, int]) -> None:
    start, end = sorted(min(b, len(text)) for b in bounds)
    spans = sentence_spans(text, start, end)
    covered: set[int] = set()
    for a, b in spans:
        assert start <= a < b <= end
        assert text[a:b] == text[a:b].strip()
        covered.update(range(a, b))
    assert all(x[1] <= y[0] for x, y in pairwise(spans))
    assert all(i in covered or text[i].isspace() for i in range(start, end))
    assert sentence_spans(text, start, end) == spans  # deterministic


@_SETTINGS
@given(text=_texts, data=st.data())
def test_a_run_of_sentences_splits_into_the_same_sentences(text: str, data: st.DataObject) -> None:
    # The sentence units split each chunk again; a chunk is a run of whole sentences.
    spans = sentence_spans(text)
    if not spans:
        return
    i = data.draw(st.integers(0, len(spans) - 1))
    j = data.draw(st.integers(i, len(spans) - 1))
    assert sentence_spans(text, spans[i][0], spans[j][1]) == spans[i : j + 1]
