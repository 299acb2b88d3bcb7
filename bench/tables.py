"""What the quality benchmarks print: the protocol's answer figures and Markdown tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: The protocol's figures about answers, in table order (keys of ``evaluate``'s result).
ANSWER_FIGURES = (
    "hit@1",
    "hit@3",
    "answered_hit@1",
    "answered_hit@3",
    "sentence_hit@1",
    "abstention_accuracy",
    "false_abstention_rate",
)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table."""
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        lines.append("| " + " | ".join(str(row[k]) for k in keys) + " |")
    return "\n".join(lines)


def print_figures(figures: Mapping[str, Any], as_json: bool) -> None:
    """Print ``figures`` as indented JSON, or one ``key: value`` line each."""
    if as_json:
        print(json.dumps(dict(figures), indent=1))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
