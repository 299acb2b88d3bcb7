"""Questions asked from 8 threads while another thread ingests and prunes documents.

Nothing may raise, and every answer must cite the text of the index version it was served
from: answers through ``get_retriever(index).answer`` are checked against the version that
retriever loaded, answers through ``ask()`` against one of the versions the writer wrote.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from ingest.index.store import current_version_path, load_version
from ingest.sync.pipeline import Ingestor, ingest
from retrieval import ask
from retrieval.api import get_retriever
from retrieval.types import Answer
from tests.support.fakes import FakeEmbedder
from tests.support.paths import CORPUS

QUESTIONS = (
    "When was the 16th BRICS summit held?",
    "Why did Kazakhstan decline to join BRICS+?",
    "When was lighthouse number 3 built?",
    "Which keeper wrote the storm log?",
    "granite tower lamp electricity",
)
ASKERS = 8
WRITES = 20


def _note(n: int, edition: int) -> str:
    return (
        f"# Lighthouse {n}\n\n## History\n\nLighthouse number {n} was built in {1850 + n} from "
        f"granite. Its keeper wrote the storm log, edition {edition}. The lamp was converted "
        f"to electricity in {1900 + n + edition}.\n"
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Texts = dict[str, str]  # doc id -> text of one version


def _citations_match(answer: Answer, texts: Texts) -> bool:
    return all(
        p.doc_id in texts
        and texts[p.doc_id][p.start : p.end] == p.text
        and all(p.start <= a < b <= p.end for a, b in p.highlights)
        for p in answer.passages
    )


def test_eight_askers_while_a_writer_ingests_and_prunes(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS, folder)
    index = tmp_path / "index"
    ingest([folder], index=index, embedder=FakeEmbedder())
    written: dict[str, Texts] = {}
    lock = threading.Lock()

    def record() -> None:
        version = load_version(index)
        with lock:
            written[version.path.name] = {d: doc.text for d, doc in version.documents.items()}

    record()
    errors: list[BaseException] = []
    served: list[int] = [0] * ASKERS
    done = threading.Event()

    def writer() -> None:
        try:
            ingestor = Ingestor(index, embedder=FakeEmbedder())
            for i in range(WRITES):
                (folder / f"light-{i}.md").write_text(_note(i, 0))
                if i % 3 == 2:
                    (folder / f"light-{i - 1}.md").write_text(_note(i - 1, i))  # an update
                if i >= 4:
                    (folder / f"light-{i - 4}.md").unlink()  # pruned below
                report = ingestor.run([folder], prune=True)
                assert report.added and not report.rejected
                record()
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def via_retriever(n: int, question: str) -> None:
        retriever = get_retriever(index)
        answer = retriever.answer(question, k=5)
        version = retriever.version
        texts = {d: doc.text for d, doc in version.documents.items()}
        assert answer.passages and _citations_match(answer, texts)
        hashes = {d: info["content_hash"] for d, info in version.manifest.documents.items()}
        assert {d: _digest(t) for d, t in texts.items()} == hashes

    def via_ask(n: int, question: str) -> None:
        answer = ask(question, k=5, index=index)
        with lock:
            versions = list(written.values())
        # ask() may have loaded a version the writer has written but not yet recorded
        current = load_version(index)
        versions.append({d: doc.text for d, doc in current.documents.items()})
        assert answer.passages and any(_citations_match(answer, t) for t in versions)

    def asker(n: int, check: Callable[[int, str], None]) -> None:
        try:
            i = 0
            while not done.is_set() or i < 3:
                check(n, QUESTIONS[(n + i) % len(QUESTIONS)])
                i += 1
            served[n] = i
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=asker, args=(n, via_retriever if n % 2 else via_ask))
        for n in range(ASKERS)
    ]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert errors == [], errors[:3]
    assert all(n >= 3 for n in served), served
    assert len(written) > WRITES // 2  # the readers really saw the index change under them
    final = get_retriever(index)
    assert final.version.path == current_version_path(index)  # the newest version is served
    assert sorted(final.version.documents) == sorted(
        ["kazakhstan-brics-refusal.md", *(f"light-{i}.md" for i in range(WRITES - 4, WRITES))]
    )


def test_an_index_deleted_and_built_again_is_reloaded(tmp_path: Path) -> None:
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text(_note(1, 0))
    second.write_text(_note(2, 0))
    index = tmp_path / "index"
    ingest([first], index=index, embedder=FakeEmbedder())
    assert ask("lighthouse", index=index).passages[0].doc_id == "first.md"
    shutil.rmtree(index)
    ingest([second], index=index, embedder=FakeEmbedder())  # the same version name again
    assert current_version_path(index).name == "000001"
    answer = ask("lighthouse", index=index)
    assert {p.doc_id for p in answer.passages} == {"second.md"}


def test_users_uploading_files_of_the_same_name_at_once_leave_one_consistent_copy(
    tmp_path: Path, fake_index: Path, fake_embedder: FakeEmbedder
) -> None:
    from ui.uploads import UPLOADS_DIRNAME, ingest_uploads

    files = []
    for n in range(4):
        (tmp_path / f"user{n}").mkdir()
        files.append(tmp_path / f"user{n}" / "notes.md")
        files[-1].write_text(_note(n, n))
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(files))

    def upload(path: Path) -> None:
        try:
            barrier.wait()
            (outcome,) = ingest_uploads(
                [path], fake_index, max_bytes=100_000, embedder=fake_embedder
            )
            assert outcome.status in {"added", "updated"}, outcome
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    folder = fake_index / UPLOADS_DIRNAME
    assert sorted(p.name for p in folder.iterdir()) == ["notes.md"]  # nothing set aside left
    indexed = load_version(fake_index).documents["notes.md"].text
    assert (folder / "notes.md").read_text() == indexed  # the copy is what the index holds
    assert indexed in {f.read_text() for f in files}
