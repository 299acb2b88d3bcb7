"""How the bad-input catalogue runs one input against the API, the CLI or the chat.

Every runner returns an :class:`Outcome`: what kind of result a person got and the message
lines they saw. A crash is not an outcome: any exception other than docqa's typed errors
propagates and fails the test. The index is compared before and after with :func:`snapshot`.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ingest.errors import DocqaError
from ingest.sync.pipeline import ingest
from retrieval import ask
from retrieval.api import get_retriever
from retrieval.types import Answer
from ui.cli import main

#: What a case ends in: an answer; an ingest; a usage error (exit 2); some input rejected
#: (exit 1, with a report); a failure such as a missing or damaged index (exit 1, one error).
Kind = Literal["answered", "ingested", "error", "rejected", "failed"]
#: The account that permission cases run as when the tests run as root (root ignores modes).
UNPRIVILEGED_UID = 65534


@dataclass(frozen=True)
class Outcome:
    """What a person got: the kind of result and the message lines shown to them."""

    kind: Kind
    lines: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Env:
    """One case's world: a private copy of a small fake-model index and a scratch folder.

    Both live in a folder every user may enter, so permission cases can run unprivileged.
    """

    root: Path
    index: Path
    work: Path
    unprivileged: bool = False
    chat_limit_mb: float = 20.0
    _handlers: dict[str, Callable[..., Any]] | None = None

    def file(self, name: str, data: bytes | str) -> Path:
        """Write ``data`` to ``work/name`` (folders created) and return the path."""
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path

    def handlers(self) -> dict[str, Callable[..., Any]]:
        """The Gradio app's event handlers by name, the app built over this index once."""
        if self._handlers is None:
            from ui.app import ChatSettings, build_app

            app = build_app(ChatSettings(index_dir=self.index, max_upload_mb=self.chat_limit_mb))
            self._handlers = {block.name: block.fn for block in app.fns.values()}
        return self._handlers


def snapshot(index: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file of an index folder but its lock file."""
    if not index.is_dir():
        return {}
    return {
        p.relative_to(index).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(index.rglob("*"))
        if p.is_file() and p.name != "LOCK"
    }


def citations_hold(answer: Answer, index: Path) -> None:
    """Every passage and highlight points into the text of the version that answered."""
    documents = get_retriever(index).version.documents
    for p in answer.passages:
        assert documents[p.doc_id].text[p.start : p.end] == p.text
        assert all(p.start <= a < b <= p.end for a, b in p.highlights)


@dataclass(frozen=True)
class Case:
    """One bad input: how to run it, what the person should get, and what it may change.

    Attributes:
        id: Surface and input, e.g. ``api-ask-empty``.
        run: Runs the input in an Env and returns the Outcome.
        expect: The kind of result.
        says: Regular expression the (single) message line must match.
        setup: Prepares the Env before the index is snapshotted.
        changes_index: The input is valid and changes the index.
        breaks_index: The setup leaves the index unusable (liveness is checked elsewhere).
        check: Extra assertions on the Env and Outcome.
    """

    id: str
    run: Callable[[Env], Outcome]
    expect: Kind
    says: str = ""
    setup: Callable[[Env], object] | None = None
    changes_index: bool = False
    breaks_index: bool = False
    check: Callable[[Env, Outcome], None] | None = None


# -- running as another user -------------------------------------------------------------


def running_as_root() -> bool:
    """True when permission bits do not apply to this process."""
    return os.geteuid() == 0


@contextlib.contextmanager
def unprivileged(active: bool) -> Iterator[None]:
    """Run the body as an unprivileged user when the tests run as root.

    Root reads and writes whatever the mode bits say; dropping the effective uid (and
    restoring it afterwards) makes ``chmod`` mean what it means for a normal user.
    """
    if not (active and running_as_root()):
        yield
        return
    os.setegid(UNPRIVILEGED_UID)
    os.seteuid(UNPRIVILEGED_UID)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def hand_over(path: Path) -> None:
    """Give ``path`` (recursively) to the user the unprivileged cases run as."""
    if not running_as_root():
        return
    for item in [path, *path.rglob("*")]:
        os.chown(item, UNPRIVILEGED_UID, UNPRIVILEGED_UID, follow_symlinks=False)


def make_read_only(path: Path) -> None:
    """Remove every write permission under ``path`` (owned by root, it stays root's)."""
    for item in [*path.rglob("*"), path]:
        mode = item.stat().st_mode
        item.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def make_removable(path: Path) -> None:
    """Restore owner write permission so the folder can be deleted."""
    for item in [path, *path.rglob("*")]:
        if not item.is_symlink():
            item.chmod(item.stat().st_mode | stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)


def new_env(template: Path, base: Path) -> Env:
    """A fresh Env: the template index copied into a world-enterable folder under ``base``."""
    root = Path(tempfile.mkdtemp(prefix="case-", dir=base))  # never reused: retrievers are
    root.chmod(0o755)  # cached by path
    index = root / "index"
    shutil.copytree(template, index)
    work = root / "work"
    work.mkdir()
    return Env(root=root, index=index, work=work)


def remove_env(env: Env) -> None:
    """Delete an Env's folder whatever its modes."""
    make_removable(env.root)
    shutil.rmtree(env.root, ignore_errors=True)


# -- the three surfaces --------------------------------------------------------------------


def one_line(exc: BaseException) -> tuple[str, ...]:
    """The message of a typed error (or of a Gradio error) as the single line shown."""
    return (str(getattr(exc, "message", None) or exc),)


def api_ask(env: Env, question: Any, **options: Any) -> Outcome:
    """``retrieval.ask`` on the env's index (``index=`` in options overrides it)."""
    index = options.pop("index", env.index)
    with unprivileged(env.unprivileged):
        try:
            answer = ask(question, index=index, **options)
        except DocqaError as exc:
            return Outcome("error", one_line(exc))
        citations_hold(answer, index)
    return Outcome("answered", detail={"answer": answer})


def api_ingest(env: Env, paths: Sequence[str | Path], **options: Any) -> Outcome:
    """``ingest.sync.pipeline.ingest`` into the env's index: rejected files are the messages."""
    with unprivileged(env.unprivileged):
        try:
            report = ingest(paths, index=env.index, **options)
        except DocqaError as exc:
            return Outcome("error", one_line(exc))
    lines = tuple(f"{r.path}: {r.reason}" for r in report.rejected)
    kind: Kind = "rejected" if report.rejected else "ingested"
    return Outcome(kind, lines, {"report": report})


def _stderr_lines(text: str) -> tuple[str, ...]:
    """What stays on screen: progress bars redraw with carriage returns and clear at the end."""
    lines = (line.split("\r")[-1].strip() for line in text.split("\n"))
    return tuple(line for line in lines if line)


def cli(env: Env, *argv: str, index: Path | None = None) -> Outcome:
    """``docqa ARGV --index INDEX`` in this process; the exit code gives the kind."""
    out, err = io.StringIO(), io.StringIO()
    with (
        unprivileged(env.unprivileged),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main([*argv, "--index", str(index or env.index)])
        except SystemExit as exc:  # argparse exits by itself
            code = int(exc.code or 0)
    assert "Traceback" not in err.getvalue()
    kinds: dict[int, Kind] = {
        0: "answered" if argv[0] == "ask" else "ingested",
        1: "rejected",
        2: "error",
    }
    assert code in kinds, f"exit code {code}: {err.getvalue()}"
    kind = kinds[code]
    if code == 1 and any(
        line.startswith("docqa: error:") for line in _stderr_lines(err.getvalue())
    ):
        kind = "failed"
    return Outcome(kind, _stderr_lines(err.getvalue()), {"stdout": out.getvalue()})


_ERROR = re.compile(r'<p class="dq-error">⚠ (.*?)</p>', re.DOTALL)
_UPLOAD_ROW = re.compile(
    r'<li><span class="dq-status-(\w+)">.*?</span> <code>(.*?)</code>(?: — (.*?))?</li>', re.DOTALL
)


def _text(fragment: str) -> str:
    return html.unescape(fragment).replace("\n", " ").strip()


def chat_ask(env: Env, question: str, k: float = 5, mode: str = "hybrid") -> Outcome:
    """The chat's answer handler (what runs when a question is sent)."""
    respond = env.handlers()["respond"]
    with unprivileged(env.unprivileged):
        history = respond(question, [], k, mode, [])
    (message,) = [m["content"] for m in history if m["role"] == "assistant"]
    error = _ERROR.search(message)
    if error:
        assert message.count("dq-error") == 1
        return Outcome("error", (_text(error.group(1)),), {"html": message})
    return Outcome("answered", detail={"html": message})


def chat_api(env: Env, question: Any, k: Any = 5, mode: Any = "hybrid") -> Outcome:
    """The chat's ``ask`` API endpoint (what ``gradio_client`` calls)."""
    import gradio as gr

    endpoint = env.handlers()["ask_endpoint"]
    with unprivileged(env.unprivileged):
        try:
            data = endpoint(question, k, mode)
        except gr.Error as exc:
            return Outcome("error", one_line(exc))
    return Outcome("answered", detail={"json": data})


def chat_upload(env: Env, files: Sequence[str | Path]) -> Outcome:
    """The chat's upload handler; each rejected file is a message line."""
    upload = env.handlers()["upload"]
    with unprivileged(env.unprivileged):
        status, *_ = upload([str(f) for f in files], lambda *a, **k: None)
    error = _ERROR.search(status)
    if error:
        return Outcome("error", (_text(error.group(1)),), {"html": status})
    rows = [(s, _text(n), _text(r or "")) for s, n, r in _UPLOAD_ROW.findall(status)]
    assert rows, status
    rejected = tuple(f"{name}: {reason}" for s, name, reason in rows if s == "rejected")
    statuses = {name: s for s, name, _ in rows}
    return Outcome("rejected" if rejected else "ingested", rejected, {"statuses": statuses})
