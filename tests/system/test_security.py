"""Security: loopback by default, contained uploads, escaped text, no pickle, manifest first."""

from __future__ import annotations

import ast
import inspect
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import IndexMismatchError
from ingest.index.store import FORMAT_VERSION, current_version_path, load_version
from ingest.sync.pipeline import ingest
from retrieval import ask
from retrieval.types import Answer, Passage
from tests.support.fakes import FakeEmbedder
from tests.support.paths import ROOT
from tests.support.servers import served
from ui import render
from ui.cli import build_parser
from ui.server import serve
from ui.uploads import UploadOutcome, sanitize_filename, save_uploads

PACKAGES = ("ingest", "retrieval", "ui")

# -- the server listens on loopback unless told otherwise ----------------------------------


def test_serve_defaults_to_loopback() -> None:
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def _listening_addresses(pid: int, port: int) -> set[str]:
    """Local addresses on which ``pid`` listens on ``port`` (from /proc, IPv4 and IPv6)."""
    found = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


@pytest.fixture
def served_with_defaults(fake_index: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``docqa serve --index I --port P``: no host given."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "tests.support.fake_cli", "serve", "--index", str(fake_index)]
    log_path = fake_index.parent / "server.log"
    with served([*command, "--port", "0"], env=env, log_path=log_path) as (process, _, port):
        yield process, port


def test_the_chat_server_listens_on_127_0_0_1_only(
    served_with_defaults: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = served_with_defaults
    deadline = time.monotonic() + 120
    addresses: set[str] = set()
    while not addresses and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.3)
        addresses = _listening_addresses(process.pid, port)
    assert addresses == {"0100007F"}  # 127.0.0.1, little-endian hex; nothing on 0.0.0.0 or ::


# -- uploads stay inside the index folder ---------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=300))
def test_any_upload_name_becomes_one_safe_file_name_inside_the_folder(name: str) -> None:
    safe = sanitize_filename(name)
    root = Path("/srv/index/uploads")
    assert safe and len(safe) <= 120
    assert "/" not in safe and "\\" not in safe and ".." not in safe
    assert not safe.startswith((".", "-")) and safe.isprintable()
    assert os.path.normpath(root / safe) == str(root / safe)
    assert (root / safe).parent == root


def test_hostile_upload_names_never_write_outside_the_uploads_folder(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    outside = tmp_path / "outside.md"
    outside.write_text("precious")
    names = ["..\\..\\outside.md", "..%2F..%2Foutside.md", ".bashrc.md", "x\u202egpj.md"]
    names += ["a" * 250 + ".md", "ﬁle.md", "tab\there.md", "-rf.md"]
    files = []
    for n, name in enumerate(names):
        folder = incoming / str(n)
        folder.mkdir()
        (folder / name).write_text(f"# Note {n}\n\nText {n}.")
        files.append(folder / name)
    upload_dir = tmp_path / "index" / "uploads"
    upload_dir.mkdir(parents=True)
    (upload_dir / "outside.md").symlink_to(outside)  # a planted link is replaced, not followed
    saved, rejected = save_uploads(files, upload_dir, max_bytes=10_000)
    assert rejected == [] and len(saved) == len(names)
    assert outside.read_text() == "precious"
    for path in upload_dir.iterdir():
        assert path.parent == upload_dir and path.is_file() and not path.is_symlink()
    everything = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert everything == {outside, *files, *saved}


def test_uploads_over_the_limit_are_not_copied(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(b"a" * 2_001)
    saved, rejected = save_uploads([big], tmp_path / "uploads", max_bytes=2_000)
    assert saved == [] and "over the upload limit" in rejected[0].reason
    assert list((tmp_path / "uploads").iterdir()) == []


# -- text is escaped in the chat ------------------------------------------------------------


#: Attributes whose value is the document's own text (a card's tooltip holds its place):
#: compared by name only, their value being text like the rest.
_TEXT_ATTRIBUTES = {"title"}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.markup: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.markup.append(
            (tag, tuple(k if k in _TEXT_ATTRIBUTES else f"{k}={v}" for k, v in attrs))
        )


def _markup(fragment: str) -> list[tuple[str, tuple[str, ...]]]:
    parser = _Markup()
    parser.feed(fragment)
    return parser.markup


def _rendered(text: str) -> list[str]:
    passage = Passage(
        "d-" + text, "T" + text, ("S", text), 2, 0, len(text) + 1, text + ".", 0.5, ()
    )
    answer = Answer(text, (passage,), True, 1.0)
    return [
        render.render_question(text),
        render.render_error(text),
        render.render_answer(answer, mode=text),
        render.render_uploads([UploadOutcome(text, "rejected", text)]),
        render.render_documents({text: {"title": text, "n_chunks": 1}}),
    ]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("<>&\"'=/ abcscript\n")), max_size=60))
def test_any_text_in_the_chat_is_shown_never_parsed_as_markup(text: str) -> None:
    for hostile, plain in zip(_rendered(text), _rendered("x"), strict=True):
        assert _markup(hostile) == _markup(plain)  # the same tags and attributes, nothing else


# -- nothing is unpickled, the manifest is read first ---------------------------------------


def test_the_code_never_uses_code_executing_formats() -> None:
    banned = {"pickle", "cPickle", "dill", "joblib", "marshal", "shelve", "cloudpickle"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                    assert not banned & {n.split(".")[0] for n in names}, path
                if isinstance(node, ast.Call):
                    called = ast.unparse(node.func)
                    assert called not in {"eval", "exec", "torch.load", "yaml.load"}, path
                    if called.endswith(("np.load", "numpy.load", "BM25.load")):
                        flags = {k.arg: ast.unparse(k.value) for k in node.keywords}
                        assert flags.get("allow_pickle") == "False", (path, node.lineno)


def _index_with_cache(tmp_path: Path, corpus_dir: Path) -> Path:
    index = tmp_path / "index"
    ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    (corpus_dir / "more.md").write_text("# More\n\nAnother lighthouse note.")
    ingest([corpus_dir], index=index, embedder=FakeEmbedder())
    return index


def test_index_files_are_plain_text_json_numpy_and_faiss(tmp_path: Path, corpus_dir: Path) -> None:
    index = _index_with_cache(tmp_path, corpus_dir)
    kinds = set()
    for path in index.rglob("*"):
        if not path.is_file() or path.name in {"LOCK", "CURRENT"}:
            continue
        head = path.read_bytes()[:8]
        assert not head.startswith(b"\x80"), f"{path} looks like a pickle"
        if path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)
            assert array.dtype != object
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":
            [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        elif path.suffix == ".txt":
            path.read_text(encoding="utf-8")  # the documents' extracted text
        elif path.suffix == ".faiss":
            assert head[:4] in {b"IxFI", b"IxF2"}, head  # FAISS flat-index header
        else:
            pytest.fail(f"unexpected file format in the index: {path}")
        kinds.add(path.suffix)
    assert kinds == {".npy", ".json", ".jsonl", ".txt", ".faiss"}


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Make every unpickling entry point fail, and record numpy loads."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("something tried to unpickle")

    class RefusingUnpickler(pickle.Unpickler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            refuse()

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", RefusingUnpickler)
    loads: list[dict[str, Any]] = []
    real_load = np.load

    def recording_load(*args: Any, **kwargs: Any) -> Any:
        loads.append(kwargs)
        assert kwargs.get("allow_pickle") is False, kwargs
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", recording_load)
    return loads


def test_loading_an_index_and_answering_never_unpickles(
    tmp_path: Path, corpus_dir: Path, no_unpickling: list[dict[str, Any]]
) -> None:
    index = _index_with_cache(tmp_path, corpus_dir)
    (corpus_dir / "more.md").write_text("# More\n\nChanged lighthouse note.")
    ingest([corpus_dir], index=index)  # reads the embedding cache
    assert ask("When was the 16th BRICS summit held?", index=index).passages
    assert len(no_unpickling) >= 4  # BM25 arrays and cache shards, all without pickle


@pytest.mark.model
def test_the_model_loads_without_unpickling(
    no_unpickling: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from ingest.embedding.sentence_transformer import SentenceTransformerEmbedder

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.load unpickles; the model must load from safetensors")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(torch.serialization, "load", refuse)
    vectors = SentenceTransformerEmbedder().embed(["a lighthouse"])  # a fresh load, safetensors
    assert vectors.shape == (1, 384)


@pytest.fixture
def audit_opens() -> Iterator[list[str]]:
    """Paths opened by Python code while the fixture is active (an audit hook)."""
    opened: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event == "open" and isinstance(args[0], str | Path):
            opened.append(str(args[0]))

    sys.addaudithook(hook)  # hooks cannot be removed; this one switches itself off
    try:
        yield opened
    finally:
        active[0] = False


def test_a_manifest_of_another_format_version_fails_before_other_files_are_read(
    fake_index: Path, audit_opens: list[str]
) -> None:
    version = current_version_path(fake_index)
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["format_version"] = 99
    (version / "manifest.json").write_text(json.dumps(manifest))
    others = [p for p in version.rglob("*") if p.is_file() and p.name != "manifest.json"]
    assert len(others) >= 5
    for other in others:
        other.write_bytes(b"\x80\x04garbage that must never be read")
    audit_opens.clear()
    for attempt in (
        lambda: load_version(fake_index),
        lambda: ask("anything", index=fake_index),
        lambda: ingest([fake_index.parent / "corpus"], index=fake_index),
    ):
        with pytest.raises(IndexMismatchError, match=f"99, this docqa reads .* {FORMAT_VERSION};"):
            attempt()
    touched = {Path(p).name for p in audit_opens if Path(p).is_relative_to(version)}
    assert touched == {"manifest.json"}
