"""Start ``docqa serve --port 0`` in a subprocess and learn the port it bound from its log."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.paths import ROOT

_SERVING = re.compile(r"docqa: serving .* on (http://[\d.]+:(\d+))")


@contextmanager
def served(
    command: Sequence[str], *, env: Mapping[str, str], log_path: Path, wait: float = 240.0
) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """Run ``command`` (a ``docqa serve ... --port 0``) until the block ends.

    Yields the process, the base URL (with a trailing slash) and the port, read from the
    server's own "serving ... on URL" line; fails the test if it does not come in ``wait``
    seconds.
    """
    import pytest

    with log_path.open("w") as log:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + wait
        match = None
        while match is None:
            match = _SERVING.search(log_path.read_text(errors="replace"))
            if match is None and (process.poll() is not None or time.monotonic() > deadline):
                pytest.fail(f"docqa serve did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield process, match.group(1) + "/", int(match.group(2))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
