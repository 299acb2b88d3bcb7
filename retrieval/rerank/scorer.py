"""Score (question, sentence) pairs with docqa's own int8 cross-encoder, on OpenVINO.

The model (``model/``: ``model.xml`` and ``model.bin``, int8 weights and activations;
``tokenizer.json``, ``export.json``, ``MODEL_CARD.md``) is trained and exported by
``python -m training`` (its ``final`` step). Neither PyTorch nor transformers is imported
here: OpenVINO runs the graph (as for the ``openvino-int8`` embedder), ``tokenizers`` builds
the pairs exactly as training did (``[CLS] question [SEP] sentence [SEP]``, the longer part
truncated first to the export's ``max_tokens``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.embedding.openvino_import import compile_model
from ingest.errors import DocqaError

#: The shipped model's folder, inside this package.
MODEL_DIR = Path(__file__).resolve().parent / "model"
#: The ``export.json`` format this runtime reads.
FORMAT_VERSION = 1
#: Most pairs per model call. Small length-sorted batches pad least: 25 candidates took 42 ms
#: (p50) in batches of 8, 44 ms in batches of 13 and 49 ms in one batch
#: (``python -m bench.train.speed --batch-size N``, 2 cores, load average 1.5).
BATCH_SIZE = 8
#: Padded widths are multiples of this: OpenVINO prepares kernels per input shape (about
#: 10 ms for each new one), so few widths keep a running process on warm shapes.
WIDTH_STEP = 16
_FILES = ("model.xml", "model.bin", "tokenizer.json", "export.json")


class ScorerModelError(DocqaError, LookupError):
    """The cross-encoder's folder is missing, incomplete or of another format."""


def read_model_json(path: Path, what: str, fix: str) -> Any:
    """The JSON content of a shipped file beside the cross-encoder (``what`` names it in
    errors, ``fix`` says what to do).

    Raises:
        ScorerModelError: the file is missing or unreadable.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScorerModelError(f"{what} {path} is missing; {fix}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ScorerModelError(f"{what} {path} is unreadable ({error}); {fix}") from None


class SentenceScorer:
    """Probabilities that sentences answer a question, from the shipped cross-encoder.

    One instance may be shared by threads: the tokenizer is configured once, at load, and
    the one inference request serves one call at a time (calls from several threads take
    turns).

    Args:
        folder: A folder made by the export (default: the shipped :data:`MODEL_DIR`).
        threads: CPU threads per inference (default: one per core).

    Raises:
        ScorerModelError: ``folder`` lacks a file or holds another export format.

    Example:
        >>> scorer = SentenceScorer()  # doctest: +SKIP
        >>> scorer.score("When was Warsaw founded?", ["Warsaw was founded in 1300.", "It rains."])
        array([0.93, 0.01], dtype=float32)  # doctest: +SKIP
    """

    def __init__(self, folder: Path | None = None, *, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.folder = folder or MODEL_DIR
        missing = [name for name in _FILES if not (self.folder / name).is_file()]
        if missing:
            raise ScorerModelError(
                f"the cross-encoder folder {self.folder} lacks {', '.join(missing)}; "
                "reinstall docqa, or rebuild it: python -m training --step final"
            )
        self.info: dict[str, Any] = json.loads((self.folder / "export.json").read_text())
        if self.info.get("format_version") != FORMAT_VERSION:
            raise ScorerModelError(
                f"{self.folder / 'export.json'} has format {self.info.get('format_version')!r}; "
                f"this docqa reads format {FORMAT_VERSION}: rebuild it with "
                "python -m training --step final"
            )
        self.max_tokens = int(self.info["max_tokens"])
        self._pad = int(self.info["pad_id"])
        self._inputs: list[str] = list(self.info["inputs"])
        self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_tokens, strategy="longest_first")
        compiled = compile_model(self.folder / "model.xml", threads=threads)
        self._request = compiled.create_infer_request()  # type: ignore[attr-defined]
        self._lock = threading.Lock()

    def logits(
        self, question: str, sentences: Sequence[str], *, batch_size: int = BATCH_SIZE
    ) -> np.ndarray:
        """The model's raw scores (float32, one per sentence); :meth:`score` is their sigmoid."""
        out = np.zeros(len(sentences), dtype=np.float32)
        if not sentences:
            return out
        encoded = self._tokenizer.encode_batch([(question, s) for s in sentences])
        lengths = np.array([len(e.ids) for e in encoded])
        # Similar lengths share a batch, so little of it is padding.
        order = np.argsort(-lengths, kind="stable")
        for start in range(0, len(order), max(1, batch_size)):
            rows = order[start : start + max(1, batch_size)]
            longest = int(lengths[rows[0]])
            width = min(-(-longest // WIDTH_STEP) * WIDTH_STEP, max(self.max_tokens, longest))
            feeds = {name: np.zeros((len(rows), width), dtype=np.int64) for name in self._inputs}
            feeds["input_ids"].fill(self._pad)
            for i, row in enumerate(rows):
                e, n = encoded[row], int(lengths[row])
                feeds["input_ids"][i, :n] = e.ids
                feeds["attention_mask"][i, :n] = 1
                feeds["token_type_ids"][i, :n] = e.type_ids
            with self._lock:
                # The output tensor is reused by the next inference: copy it out.
                out[rows] = np.array(self._request.infer(feeds)[0], dtype=np.float32)
        return out

    def score(
        self, question: str, sentences: Sequence[str], *, batch_size: int = BATCH_SIZE
    ) -> np.ndarray:
        """Probabilities (float32, 0..1, one per sentence, in order) that each sentence answers
        ``question``. No sentences give an empty array.

        Args:
            question: The question as the user asked it.
            sentences: Candidate sentences (a few dozen at most is the intended use: each
                costs one pass of the model).
            batch_size: Most pairs per model call.
        """
        logits = self.logits(question, sentences, batch_size=batch_size).astype(np.float64)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
