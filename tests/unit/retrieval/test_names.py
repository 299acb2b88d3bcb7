from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.formats.document import Document
from retrieval.names import named_share, question_names


def test_names_are_the_capitalised_words_after_the_first() -> None:
    assert question_names("What is the capital of Mongolia?") == ("Mongolia",)
    assert question_names("Is Kazakhstan's BRICS+ refusal a snub to Russia?") == (
        "Kazakhstan",
        "BRICS",
        "Russia",
    )
    assert question_names("When was Kassym-Jomart Tokayev elected, was Tokayev re-elected?") == (
        "Kassym-Jomart",
        "Tokayev",
    )
    # The first word is capitalised by grammar, not because it names anything.
    assert question_names("Sugar or salt: which preserves better?") == ()
    assert question_names("what did i say about the ferry?") == ()
    assert question_names("Can I bring a dog?") == ()


def test_each_line_of_a_question_starts_afresh() -> None:
    assert question_names("Where is it?\nWhen does the ferry leave Oslo?") == ("Oslo",)


def test_names_are_found_as_whole_words_whatever_the_case() -> None:
    text = "BRICS+ met in Kazan. Kazakhstan's refusal surprised the kremlin."
    assert named_share(("Kazakhstan", "Kremlin", "BRICS"), text) == 1.0
    assert named_share(("Russia", "Kazan"), text) == 0.5
    assert named_share(("Kaz",), text) == 0.0  # not a word of the text
    assert named_share((), text) == 1.0


def _document(text: str) -> Document:
    return Document("d", "t", "s", "txt", text, ())


def test_a_documents_words_give_the_share_its_text_gives() -> None:
    text = "BRICS+ met in Kazan. Kazakhstan's refusal surprised the kremlin; Jean-Pierre_2 wrote."
    words = _document(text).words
    for names in (
        ("Kazakhstan", "Kremlin", "BRICS"),
        ("Russia", "Kazan"),
        ("Kaz",),
        ("Jean-Pierre",),  # not a word here: "Jean-Pierre_2" goes on
        ("Jean",),
        ("Pierre_2",),
        ("Jean-Pierre_2", "BRICS+"),  # the second is searched for: "+" is no word's
    ):
        assert named_share(names, text, words) == named_share(names, text), names
    chain = "Codes 1-2-3-4-5-6-7-8 and x-y."
    words = _document(chain).words
    assert "1-2-3-4-5-6" in words and "1-2-3-4-5-6-7" not in words  # stretches of six at most
    for names in (("1-2-3-4-5-6",), ("2-3-4-5-6-7-8",), ("1-2-3-4-5-6-7-8",), ("3-4-5-6-7-9",)):
        assert named_share(names, chain, words) == named_share(names, chain), names


_LETTERS = st.sampled_from(list("aAbBkKzZéÉ'’-_ 1.,\n"))


@settings(max_examples=500, deadline=None)
@given(
    text=st.lists(_LETTERS, max_size=60).map("".join),
    names=st.lists(
        st.lists(st.sampled_from(list("aAbBkKzZéÉ'’-_1")), min_size=1, max_size=4).map("".join),
        max_size=4,
    ),
)
def test_the_word_lookup_agrees_with_the_search(text: str, names: list[str]) -> None:
    # Names as question_names makes them start with a letter; the lookup must agree anyway.
    assert named_share(names, text, _document(text).words) == named_share(names, text)
