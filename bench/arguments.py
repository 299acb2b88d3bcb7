"""Command-line arguments shared by the train-split experiments in ``bench/``."""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "eval" / "beir" / "scifact"


def experiment_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with ``--scifact``, ``--split``
    (default ``train``: choices are made there, never on test) and ``--out``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=SCIFACT)
    parser.add_argument("--split", default="train")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    return parser
