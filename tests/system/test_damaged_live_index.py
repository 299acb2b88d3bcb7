"""A served index whose files are cut short under the running server: the server says the
index is damaged and stays up (a mapped file that shrinks used to kill it with SIGBUS), and
answers again once the files are whole."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ingest.index.durable import current_version_path
from ingest.index.records import DOCUMENTS, TEXTS
from tests.support.servers import served

QUESTION = "Why did Kazakhstan decline the BRICS+ invitation?"


@pytest.mark.slow
def test_a_truncated_live_file_is_reported_and_the_server_stays_up(fake_index: Path) -> None:
    from gradio_client import Client

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "tests.support.fake_cli", "serve", "--index"]
    command += [str(fake_index), "--port", "0"]
    log_path = fake_index.parent / "server.log"
    with served(command, env=env, log_path=log_path) as (process, url, _port):
        client = Client(url, verbose=False)
        assert client.predict(QUESTION, 3, "hybrid", api_name="/ask")["passages"]
        version = current_version_path(fake_index)
        for name, keep in ((TEXTS, 0), (DOCUMENTS, 100)):
            path = version / name
            whole = path.read_bytes()
            with open(path, "r+b") as handle:  # in place, as truncate(1) does
                handle.truncate(keep)
            with pytest.raises(Exception, match=r"damaged|rebuild"):
                client.predict(QUESTION, 3, "hybrid", api_name="/ask")
            assert process.poll() is None, log_path.read_text()
            with open(path, "r+b") as handle:
                handle.write(whole)
            assert client.predict(QUESTION, 3, "hybrid", api_name="/ask")["passages"]
        assert process.poll() is None
