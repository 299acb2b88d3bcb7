"""Embeddings cached by (model, text hash) so unchanged text is never embedded twice."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ingest.arrays import load_array
from ingest.disk import write_failure


def text_key(text: str) -> str:
    """The cache key of an embedded text (SHA-256, hex, first 32 chars)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


#: More shards than this are merged into one (loading many small files is slow).
MAX_SHARDS = 32
#: Texts per call to an in-process embedder (and per shard).
DEFAULT_BATCH = 512


def texts_per_call(embed: Callable[[Sequence[str]], np.ndarray]) -> int:
    """How many texts to give ``embed`` at a time: the ``texts_per_call`` of the embedder
    it is a method of (a cluster embedder wants thousands), else :data:`DEFAULT_BATCH`."""
    wanted = getattr(getattr(embed, "__self__", None), "texts_per_call", None)
    return wanted if isinstance(wanted, int) and wanted >= 1 else DEFAULT_BATCH


class EmbeddingCache:
    """Append-only shards of vectors on disk, one folder per model.

    Each shard is ``NNNNNN.npy`` (float32 rows) plus ``NNNNNN.json`` (their keys), written
    to temporary names and renamed, the keys last, so a killed run leaves no half shard.
    Only the index's writer (holding its lock) touches the cache.
    """

    def __init__(self, folder: Path, model_id: str, dimension: int) -> None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id).strip("_") or "model"
        self.folder = folder / slug
        self.dimension = dimension
        self._rows: dict[str, np.ndarray] = {}
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.folder.is_dir():
            return
        for keys_file in sorted(self.folder.glob("*.json")):
            vectors_file = keys_file.with_suffix(".npy")
            try:
                keys = json.loads(keys_file.read_text())
                vectors = load_array(vectors_file)
            except (OSError, ValueError):
                continue  # a damaged shard only costs re-embedding
            if vectors.shape != (len(keys), self.dimension):
                continue
            for key, row in zip(keys, vectors, strict=True):
                self._rows[key] = row

    def __len__(self) -> int:
        self._load()
        return len(self._rows)

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of ``keys`` that are present."""
        self._load()
        return {k: self._rows[k] for k in keys if k in self._rows}

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store new vectors durably as one shard."""
        self._load()
        if not keys:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = [int(p.stem) for p in self.folder.glob("*.json") if p.stem.isdigit()]
        name = f"{max(existing, default=0) + 1:06d}"
        npy, keys_file = self.folder / f"{name}.npy", self.folder / f"{name}.json"
        _atomic_write(npy, lambda f: np.save(f, vectors.astype(np.float32), allow_pickle=False))
        _atomic_write(keys_file, lambda f: f.write(json.dumps(list(keys)).encode()))
        for key, row in zip(keys, vectors, strict=True):
            self._rows[key] = row

    def _shards(self) -> list[int]:
        return sorted(int(p.stem) for p in self.folder.glob("*.json") if p.stem.isdigit())

    def compact(self) -> None:
        """Merge every shard into one.

        The merged shard is written first under a new, higher number, then the old ones
        are deleted (keys first); a run killed halfway leaves duplicates, which are harmless
        and go at the next compaction.
        """
        self._load()
        old = self._shards()
        if len(old) <= 1 or not self._rows:
            return
        keys = list(self._rows)
        self.put(keys, np.stack([self._rows[k] for k in keys]))
        for number in old:
            (self.folder / f"{number:06d}.json").unlink(missing_ok=True)
        keep = f"{max(old) + 1:06d}.npy"
        for stale in self.folder.glob("*.npy"):
            if stale.name != keep:
                stale.unlink(missing_ok=True)
        for tmp in self.folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def embed_with_cache(
        self,
        texts: Sequence[str],
        embed: Callable[[Sequence[str]], np.ndarray],
        *,
        batch: int | None = None,
        progress: Callable[[int, str], Callable[[int], None]] | None = None,
        label: str = "embedding",
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``, embedding only the missing ones; returns (vectors, n_embedded).

        Each batch (``batch`` texts, default :func:`texts_per_call`) is stored before the
        next is embedded, so a run killed halfway keeps what it embedded.
        ``progress(total, label)`` is told the number to embed.
        """
        keys = [text_key(t) for t in texts]
        have = self.get(keys)
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in have and key not in missing:
                missing[key] = text
        todo = list(missing.items())
        batch = batch or (texts_per_call(embed) if todo else DEFAULT_BATCH)
        advance = progress(len(todo), label) if progress and todo else None
        for i in range(0, len(todo), batch):
            part = todo[i : i + batch]
            vectors = embed([t for _, t in part])
            self.put([k for k, _ in part], vectors)
            have.update(zip([k for k, _ in part], vectors, strict=True))
            if advance:
                advance(len(part))
        if todo and len(self._shards()) > MAX_SHARDS:
            self.compact()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = have[key]
        return out, len(todo)


def _atomic_write(path: Path, write: Callable[..., object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_failure(exc, path.parent, f"the embedding cache's {path.name}") from exc
