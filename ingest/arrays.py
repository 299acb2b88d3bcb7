"""Reading ``.npy`` files from several threads at once.

NumPy parses a ``.npy`` header with :func:`ast.literal_eval`. On CPython 3.11 building an
AST is not safe from two threads at once: garbage collection inside one parse can free a
memory map, which lets another thread run and start its own parse, and the interpreter's
shared AST depth counter then raises ``SystemError: AST constructor recursion depth
mismatch``. Index versions are loaded from request threads while a writer reads its own
files, so every header parse in docqa goes through :data:`HEADER_LOCK`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

#: Held while a ``.npy`` header is parsed (bm25s loads its arrays under it too).
HEADER_LOCK = threading.RLock()


def load_array(path: Path, *, mapped: bool = False) -> np.ndarray:
    """``np.load`` of a plain (pickle-free) array, memory-mapped read-only when ``mapped``.

    Raises:
        OSError, ValueError: a missing or damaged file.
    """
    with HEADER_LOCK:
        return np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False)
