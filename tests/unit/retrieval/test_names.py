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
