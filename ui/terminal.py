"""What the ``docqa`` command shows on a terminal: progress bars, answers, figures, notices."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui.labels import confidence_label, page_label, section_label


def progress_factory(enabled: bool) -> Callable[[int, str], Callable[[int], None]]:
    """Progress bars on stderr (tqdm), or nothing when not ``enabled``."""

    def factory(total: int, label: str) -> Callable[[int], None]:
        if not enabled or total == 0:
            return lambda n: None
        from tqdm import tqdm

        bar = tqdm(total=total, desc=label, unit="item", file=sys.stderr, leave=False)

        def advance(n: int) -> None:
            bar.update(n)
            if bar.n >= total:
                bar.close()

        return advance

    return factory


def format_answer(answer: Any) -> str:
    """An :class:`~retrieval.types.Answer` for people: the answer, then each cited passage
    (title › section, page, characters, and the chat's label such as ``likely answers ·
    82%``) with its highlight between ``>>`` and ``<<``."""
    lines = [f"Q: {answer.question}"]
    if answer.abstained:
        lines.append("Nothing in these documents answers that. Nearest passages:")
    elif answer.answer_sentence:
        lines.append(f"A: {answer.answer_sentence} [1]")
    for n, p in enumerate(answer.passages, 1):
        section = section_label(p)
        where = p.title + (f" › {section}" if section and section != p.title else "")
        page = f", {page_label(p)}" if p.page is not None else ""
        label = confidence_label(p.confidence)
        lines.append(
            f"\n[{n}] {where}{page} | chars {p.start}-{p.end}" + (f" | {label}" if label else "")
        )
        text = p.text
        for a, b in sorted(p.highlights, reverse=True):
            text = (
                text[: a - p.start]
                + ">>"
                + text[a - p.start : b - p.start]
                + "<<"
                + text[b - p.start :]
            )
        lines.append("    " + text.replace("\n", "\n    "))
    lines.append(f"\n({answer.elapsed_ms:.0f} ms)")
    return "\n".join(lines)


def print_figures(figures: dict[str, Any], as_json: bool) -> None:
    """Evaluation figures as JSON, or one aligned ``name  value`` line each."""
    if as_json:
        print(json.dumps(figures))
    else:
        width = max(map(len, figures))
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")


def print_file_notes(report: Any) -> None:
    """What an :class:`~ingest.sync.reports.IngestReport` says of single files, on stderr:
    each file skipped and why, what was left out of files read (an attachment, the end of a
    sheet), and files indexed under a longer id than their name."""
    for rejected in report.rejected:
        print(f"skipped {rejected.path}: {rejected.reason}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning.path}: {warning.message}", file=sys.stderr)
    for path, doc_id in report.renamed:
        print(f"{path} is indexed as {doc_id!r}: another file has its name", file=sys.stderr)


def show_notices() -> None:
    """Show docqa's own notices (first-run work, waits) on stderr as ``docqa: ...`` lines."""

    class ToStderr(logging.Handler):
        """Writes to the ``sys.stderr`` of the moment (tests and callers may swap it)."""

        def emit(self, record: logging.LogRecord) -> None:
            print(self.format(record), file=sys.stderr)

    log = logging.getLogger("docqa")
    if not log.handlers:
        handler = ToStderr()
        handler.setFormatter(logging.Formatter("docqa: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def milvus_place(index_dir: Path) -> str | None:
    """Where an index on Milvus lives, as another machine names it (None: not on Milvus)."""
    from ingest.errors import DocqaError
    from ingest.index.backends.factory import reader_settings
    from ingest.index.store import current_version_path

    try:
        where = reader_settings(current_version_path(index_dir))
    except (OSError, ValueError, DocqaError):  # no index (nothing was ingested) or unreadable
        return None
    if where is None:
        return None
    uri, collection = where.milvus_uri, where.collection
    return (
        f"in Milvus at {uri}, collection {collection}; a docqa elsewhere reads it with "
        f"--backend milvus --milvus-uri {uri} --milvus-collection {collection}"
    )
