"""Where the tests find the repository: its root, the bundled corpus and the shared data."""

from __future__ import annotations

from pathlib import Path

#: The repository's root (this file is ``tests/support/paths.py``).
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
#: Data shared beside the repository (evaluation questions, extra documents), when present.
SHARED = ROOT.parent / "shared"
