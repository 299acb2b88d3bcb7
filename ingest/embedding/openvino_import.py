"""OpenVINO and NNCF, imported as if unattended, and a model compiled for the CPU.

Importing OpenVINO sets up the usage reporting of its model converter, which writes a client
id and a counter under ``~/intel`` unless it believes it runs unattended (``$CI``); NNCF
reports to a web service unless ``$NNCF_CI`` is set. docqa never converts models with
OpenVINO's converter nor wants either report, so each import runs with its variable set. This
is the one place docqa sets environment variables: only for the length of a first import,
under a lock, restoring them afterwards; settings never travel through the environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_IMPORT_LOCK = threading.Lock()


@contextlib.contextmanager
def _unattended(name: str) -> Iterator[None]:
    """``$name`` set for the block, then restored (or removed if it was not set)."""
    saved = os.environ.get(name)
    os.environ[name] = "1" if name == "NNCF_CI" else "true"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


def import_openvino() -> Any:
    """The ``openvino`` module, imported without its usage statistics."""
    with _IMPORT_LOCK, _unattended("CI"):
        import openvino
    return openvino


def import_nncf() -> Any:
    """NNCF with its usage reporting off, and its log quiet below errors."""
    import_openvino()  # first, so that the reporting shared with OpenVINO is off too
    with _IMPORT_LOCK, _unattended("NNCF_CI"):
        import nncf
    logging.getLogger("nncf").setLevel(logging.ERROR)
    return nncf


def compile_model(
    model: Path, *, threads: int | None = None, cache_dir: Path | None = None
) -> object:
    """``model`` (``.xml`` IR or ``.onnx``) compiled for the CPU, tuned for one batch at a time;
    with ``threads``, on that many threads, not pinned to cores (other processes share them).

    With ``cache_dir`` (a writable folder), OpenVINO keeps the compiled model there and later
    loads it instead of compiling again (0.14 s instead of 0.6 s for all-MiniLM-L6-v2); the
    cache is keyed by the model, the settings and the OpenVINO version.
    """
    ov = import_openvino()
    # Full precision for every layer left unquantised: on CPUs with bfloat16 units (AMX,
    # AVX512_BF16) OpenVINO otherwise runs them in bfloat16, which took the embeddings of
    # SciFact sentences to a mean cosine of 0.950 against PyTorch (min 0.31; 0.996 in f32).
    config: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
        # OpenVINO pins its threads to the first cores: two processes of one thread each
        # (two Ray workers) would share one core and embed at half speed each.
        config["ENABLE_CPU_PINNING"] = False
    core = ov.Core()
    if cache_dir is not None:
        core.set_property({"CACHE_DIR": str(cache_dir)})
    return core.compile_model(str(model), "CPU", config)
