"""SQuAD-format JSON as docqa evaluation data: Markdown articles, question records, folds.

A SQuAD file (``data[].title``, ``data[].paragraphs[].context`` and per paragraph ``qas[]``
with ``id``, ``question``, ``is_impossible`` and ``answers[].text``/``answer_start``) becomes

- one Markdown document per article: the title as a ``# heading``, then the paragraphs
  verbatim, separated by blank lines, so an answer SQuAD places at ``answer_start`` in its
  paragraph lies at ``paragraph.start + answer_start`` in the document docqa indexes;
- question records in docqa's question format (``id``, ``question``, ``evidence``), each
  also carrying its article's title; an unanswerable question has no evidence;
- folds by article (:func:`squad_folds`), so that no article is on both sides of a split.

Example:
    >>> squad = read_squad("squad2-8-articles.json")  # doctest: +SKIP
    >>> paths = write_articles(squad.articles, "articles/")  # doctest: +SKIP
    >>> squad_folds([a.title for a in squad.articles])[0]  # doctest: +SKIP
    ('1973_oil_crisis', 'European_Union_law')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import InvalidInputError
from ingest.formats.markdown import markdown_structure
from retrieval.eval.evaluation import Question

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class SquadArticle:
    """One article written as Markdown.

    Attributes:
        title: SQuAD's title (``1973_oil_crisis``); the key of folds and question records.
        file_name: The Markdown file's name, which is its doc id when the file is ingested.
        text: The whole Markdown text: ``# heading``, blank line, paragraphs.
        paragraphs: ``(start, end)`` of each SQuAD paragraph in ``text``, in SQuAD's order.
    """

    title: str
    file_name: str
    text: str
    paragraphs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SquadQuestion:
    """One SQuAD question in docqa's question format, with where it comes from.

    Attributes:
        id: SQuAD's question id.
        question: The question as written.
        evidence: The answers' texts, deduplicated in SQuAD's order; empty when
            ``is_impossible``.
        title: The article's SQuAD title.
        paragraph: Index of the question's paragraph in its article.
        spans: ``(start, end)`` of each distinct answer in the article's Markdown text.
    """

    id: str
    question: str
    evidence: tuple[str, ...]
    title: str
    paragraph: int
    spans: tuple[tuple[int, int], ...]

    def record(self) -> dict[str, Any]:
        """The JSON-lines record: docqa's ``id``/``question``/``evidence`` plus ``title``."""
        return {
            "id": self.id,
            "question": self.question,
            "evidence": list(self.evidence),
            "title": self.title,
        }

    def as_question(self) -> Question:
        """The :class:`~retrieval.eval.evaluation.Question` that ``evaluate`` takes."""
        return Question(self.id, self.question, self.evidence)


@dataclass(frozen=True)
class SquadSet:
    """A SQuAD file converted: its articles and questions, both in the file's order."""

    articles: tuple[SquadArticle, ...]
    questions: tuple[SquadQuestion, ...]

    def questions_of(self, titles: Iterable[str]) -> list[SquadQuestion]:
        """The questions whose article is one of ``titles``, in the file's order."""
        wanted = set(titles)
        return [q for q in self.questions if q.title in wanted]


def read_squad(path: str | Path) -> SquadSet:
    """Read a SQuAD 1.1 or 2.0 JSON file into articles and questions.

    Every answer is checked against its paragraph (``context[answer_start:][:len(text)]``
    must be the answer's text), so the offsets the conversion promises hold.

    Args:
        path: The SQuAD JSON file.

    Returns:
        The articles (Markdown text and paragraph spans) and the question records.

    Raises:
        InvalidInputError: the file is missing, is not JSON, lacks a SQuAD field, has an
            answer that is not where it says, repeats an article title or a question id,
            or holds a paragraph that would not stay body text in Markdown.

    Example:
        >>> squad = read_squad("squad2-8-articles.json")  # doctest: +SKIP
        >>> len(squad.articles), len(squad.questions)  # doctest: +SKIP
        (8, 3203)
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such SQuAD file")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"{path}: not a JSON file ({exc})") from exc
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, list) or not data:
        raise InvalidInputError(f"{path}: no 'data' list of articles; is this a SQuAD file?")
    articles: list[SquadArticle] = []
    questions: list[SquadQuestion] = []
    names: dict[str, str] = {}
    ids: set[str] = set()
    for n, entry in enumerate(data):
        where = f"{path}: data[{n}]"
        try:
            article, asked = _convert(entry, where)
        except InvalidInputError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"{where}: not a SQuAD article ({type(exc).__name__}: {exc}); expected a "
                "title and paragraphs[] with a context and qas[] of id, question, answers"
            ) from exc
        if article.file_name in names:
            raise InvalidInputError(
                f"{where}: title {article.title!r} gives the file name {article.file_name!r} "
                f"already used by {names[article.file_name]!r}; titles must be distinct"
            )
        names[article.file_name] = article.title
        for q in asked:
            if q.id in ids:
                raise InvalidInputError(f"{where}: question id {q.id!r} appears twice")
            ids.add(q.id)
        articles.append(article)
        questions.extend(asked)
    return SquadSet(tuple(articles), tuple(questions))


def _convert(entry: Any, where: str) -> tuple[SquadArticle, list[SquadQuestion]]:
    """One ``data[]`` entry as an article and its questions (KeyError/TypeError when bad)."""
    title = str(entry["title"])
    heading = title.replace("_", " ").strip()
    if not heading or "\n" in heading or "\r" in heading:
        raise InvalidInputError(f"{where}: title {title!r} cannot be a one-line heading")
    text = f"# {heading}\n\n"
    spans: list[tuple[int, int]] = []
    asked: list[SquadQuestion] = []
    for p, paragraph in enumerate(entry["paragraphs"]):
        context = paragraph["context"]
        if not isinstance(context, str) or not context.strip():
            raise InvalidInputError(f"{where}.paragraphs[{p}]: empty or missing context")
        if "\r" in context:
            # docqa reads "\r" as a line break, which would move every later offset.
            raise InvalidInputError(f"{where}.paragraphs[{p}]: context holds a carriage return")
        if spans:
            text += "\n\n"
        start = len(text)
        text += context
        spans.append((start, len(text)))
        for qa in paragraph["qas"]:
            asked.append(_question(qa, title, p, context, start, f"{where}.paragraphs[{p}]"))
    _check_markdown(text, where)
    file_name = (_UNSAFE.sub("_", title).strip("._") or "article") + ".md"
    return SquadArticle(title, file_name, text, tuple(spans)), asked


def _question(
    qa: Any, title: str, paragraph: int, context: str, offset: int, where: str
) -> SquadQuestion:
    """One ``qas[]`` entry, its answers checked against ``context``."""
    qid = str(qa["id"])
    impossible = bool(qa.get("is_impossible", False))
    evidence: list[str] = []
    spans: list[tuple[int, int]] = []
    if not impossible:
        answers = qa["answers"]
        if not answers:
            raise InvalidInputError(f"{where}: question {qid!r} is answerable but has no answers")
        for answer in answers:
            answer_text, answer_start = str(answer["text"]), int(answer["answer_start"])
            found = context[answer_start : answer_start + len(answer_text)]
            if not answer_text or found != answer_text:
                raise InvalidInputError(
                    f"{where}: question {qid!r}: answer {answer_text!r} is not at "
                    f"answer_start={answer_start} (the context holds {found!r} there)"
                )
            span = (offset + answer_start, offset + answer_start + len(answer_text))
            if span not in spans:
                spans.append(span)
            if answer_text not in evidence:
                evidence.append(answer_text)
    return SquadQuestion(qid, str(qa["question"]), tuple(evidence), title, paragraph, tuple(spans))


def _check_markdown(text: str, where: str) -> None:
    """The title must be the only heading, so every paragraph is indexed as body text."""
    _, _, headings = markdown_structure(text)
    if len(headings) != 1 or headings[0].start != 0:
        extra = next((h.title for h in headings if h.start != 0), "")
        raise InvalidInputError(
            f"{where}: a paragraph reads as a Markdown heading ({extra!r}); its text would "
            "be left out of the indexed body"
        )


def write_articles(articles: Sequence[SquadArticle], folder: str | Path) -> list[Path]:
    """Write each article as ``folder/<file_name>`` (UTF-8, ``\\n`` newlines, verbatim).

    A file already holding the same text is left untouched (its mtime too), so a re-ingest
    skips it. Returns the paths in the articles' order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for article in articles:
        target = folder / article.file_name
        data = article.text.encode("utf-8")
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
        paths.append(target)
    return paths


def write_questions(questions: Iterable[SquadQuestion], path: str | Path) -> Path:
    """Write question records as JSON lines (``docqa eval`` reads them); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(q.record(), ensure_ascii=False) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def squad_folds(titles: Iterable[str], n: int = 4) -> tuple[tuple[str, ...], ...]:
    """Split articles into ``n`` folds of consecutive sorted titles, equal in size.

    With the eight articles and ``n=4``, fold ``k`` holds sorted titles ``2k`` and ``2k+1``.
    An article is in exactly one fold, so its questions are never on both sides of a split.

    Raises:
        InvalidInputError: ``n`` is below 2, titles repeat, or ``n`` does not divide them.

    Example:
        >>> squad_folds(["d", "b", "a", "c"], n=2)
        (('a', 'b'), ('c', 'd'))
    """
    ordered = sorted(titles)
    if len(set(ordered)) != len(ordered):
        raise InvalidInputError("article titles repeat; each article must be in one fold")
    if n < 2 or len(ordered) % n:
        raise InvalidInputError(
            f"cannot split {len(ordered)} articles into n={n} equal folds; "
            "choose n of at least 2 that divides the number of articles"
        )
    size = len(ordered) // n
    return tuple(tuple(ordered[k * size : (k + 1) * size]) for k in range(n))
