"""The ``docqa`` command line: ingest, ask, list, remove, eval, beir, serve, migrate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ui.terminal import (
    format_answer,
    milvus_place,
    print_figures,
    print_file_notes,
    progress_factory,
    show_notices,
)

if TYPE_CHECKING:
    from ui.settings import Settings

#: Exit codes: done; some input rejected or a failure (no index, a damaged one, a busy or
#: unwritable one, an unreachable Milvus); wrong usage (a bad flag, value or variable).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: The fix hints of index errors, completed with ``--index`` when the command was given one.
_REBUILD_HINTS = ("docqa ingest PATH --rebuild", "docqa ingest --rebuild")


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from ingest.embedding.factory import make_embedder
    from ingest.errors import InvalidInputError
    from ingest.sync.pipeline import Ingestor, OcrSettings
    from ingest.text.chunker import ChunkSettings

    if not args.max_file_mb > 0:
        raise InvalidInputError(f"--max-file-mb {args.max_file_mb} must be a positive number")
    ingestor = Ingestor(
        settings.index_dir,
        embedder=make_embedder(args.model, settings=settings.embedding) if args.model else None,
        backend=settings.backend,
        embedding=settings.embedding,
        chunking=ChunkSettings(max_chars=args.max_chars),
        max_file_bytes=int(args.max_file_mb * 1024 * 1024),
        progress=progress_factory(not args.json),
        ocr=OcrSettings(enabled=not args.no_ocr),
    )
    report = ingestor.run(args.paths, prune=args.prune, rebuild=args.rebuild)
    if args.json:
        print(json.dumps(asdict(report), ensure_ascii=False, indent=1))
    else:
        print_file_notes(report)
        print(report.summary())
        if report.version is None and report.n_documents == 0:
            print(f"nothing to ingest: no index written at {settings.index_dir}", file=sys.stderr)
        place = milvus_place(settings.index_dir)
        if place is not None:
            print(place)
    return EXIT_FAILED if report.rejected else EXIT_OK


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from ingest.sync.pipeline import Ingestor

    ingestor = Ingestor(settings.index_dir, backend=settings.backend, embedding=settings.embedding)
    report = ingestor.remove(args.doc_ids)
    print(json.dumps(asdict(report), indent=1) if args.json else report.summary())
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from ingest.index.backends.settings import BackendSettings
    from ingest.sync.migrate import migrate

    # --milvus-uri (or $DOCQA_MILVUS_URI) names the index's Milvus, as for every command: the
    # one moved to with --to milvus, the one moved from with --to faiss.
    to, source = BackendSettings.move(args.to, settings.backend.milvus_uri)
    report = migrate(
        settings.index_dir,
        to,
        source=source,
        embedding=settings.embedding,
        progress=progress_factory(not args.json),
    )
    print(json.dumps(asdict(report), indent=1) if args.json else report.summary())
    return EXIT_OK


def _first_run(settings: Settings, *, quiet: bool = False) -> None:
    """Build the default index from the bundled corpus when it is missing, saying so."""
    if settings.index is None:
        from retrieval.api import ensure_default_index

        ensure_default_index(
            settings.index_dir,
            backend=settings.backend,
            embedding=settings.embedding,
            progress=progress_factory(not quiet),
        )


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval import AskSettings, ask

    _first_run(settings, quiet=args.json)
    options = AskSettings(
        mode=args.mode,
        reader="none" if args.fast else "cross-encoder",
        backend=settings.backend,
        embedding=settings.embedding,
    )
    answer = ask(args.question, k=args.k, index=settings.index, settings=options)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print(format_answer(answer) + f"\nindex: {settings.index_dir}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    from ui.documents import document_rows, live_manifest

    manifest = live_manifest(settings.index_dir)
    rows = document_rows(manifest)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            cells = (
                r["doc_id"],
                r["format"],
                f"{r['n_chunks']} chunks",
                r["ingested_at"],
                r["title"],
            )
            print("\t".join(map(str, cells)))
        formats = Counter(r["format"] for r in rows)
        by_format = ", ".join(f"{n} {f}" for f, n in sorted(formats.items()))
        print(
            f"{len(rows)} documents ({by_format or 'none'}), {manifest.n_chunks} chunks, "
            f"model {manifest.model}; index: {settings.index_dir}"
        )
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.api import get_retriever
    from retrieval.eval.evaluation import evaluate, load_questions

    questions = load_questions(args.questions)
    _first_run(settings, quiet=args.json)
    retriever = get_retriever(
        settings.index, backend=settings.backend, embedding=settings.embedding
    )
    if args.fast:
        retriever = retriever.with_settings(replace(retriever.settings, reader=None))
    docs = retriever.version.documents
    figures = evaluate(questions, lambda q: retriever.answer(q, k=5), lambda d: docs[d].text)
    print_figures(figures if args.json else {"index": settings.index_dir, **figures}, args.json)
    return EXIT_OK


def cmd_beir(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.eval.beir_index import run_beir

    folder = Path(args.folder)
    index = Path(args.index) if args.index else Path(".docqa") / "beir" / folder.name
    figures = run_beir(folder, index, split=args.split, progress=progress_factory(not args.json))
    figures.pop("query_seconds", None)
    print_figures(figures, args.json)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.server import NO_AUTH_WARNING, check_access, check_upload_limit, serve

    credentials = check_access(args.host, args.auth, args.no_auth)
    max_upload_mb = check_upload_limit(args.max_upload_mb)
    if args.no_auth:
        print(NO_AUTH_WARNING.format(host=args.host), file=sys.stderr)
    _first_run(settings)
    serve(
        settings,
        host=args.host,
        port=args.port,
        auth=credentials,
        max_upload_mb=max_upload_mb,
    )
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (with the fix), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("docqa")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``docqa``."""
    from ingest.index.backends.settings import BACKENDS

    parser = _Parser(prog="docqa", description="Cited answers from your documents.")
    parser.add_argument("--version", action="version", version=f"docqa {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    index_help = "index directory (default: $DOCQA_INDEX, else docqa's folder in your data dir)"
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--backend",
        choices=BACKENDS,
        help="where chunk vectors and BM25 live (default: $DOCQA_BACKEND, else the index's own)",
    )
    where.add_argument(
        "--milvus-uri",
        metavar="URI",
        help="Milvus server (http://host:19530) or milvus-lite file (*.db); $DOCQA_MILVUS_URI",
    )
    where.add_argument(
        "--milvus-collection",
        metavar="NAME",
        help="the index's collection in Milvus (default: named after the index folder); "
        "$DOCQA_MILVUS_COLLECTION",
    )
    commands = _WithBackend(sub, where)

    p = commands.add_parser("ingest", help="add or update files and folders in the index")
    p.add_argument(
        "paths",
        nargs="+",
        help="files or folders (.pdf .docx .pptx .xlsx .eml .html .md .txt "
        "and pictures of text: .png .jpg .jpeg .tif .tiff)",
    )
    p.add_argument("--index", help=index_help)
    p.add_argument("--model", help="sentence-transformers model name or path (new index only)")
    p.add_argument("--max-chars", type=int, default=800, help="chunk size limit (new index only)")
    p.add_argument("--prune", action="store_true", help="remove documents gone from the folders")
    p.add_argument("--rebuild", action="store_true", help="start a fresh index")
    p.add_argument("--no-ocr", action="store_true", help="skip scanned pages and pictures (OCR)")
    p.add_argument("--max-file-mb", type=float, default=100.0, help="skip larger files (100)")
    p.add_argument(
        "--ray", metavar="ADDRESS", help="embed on this Ray cluster (auto, HOST:PORT); $DOCQA_RAY"
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="Ray workers (alone: a local cluster of N)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = commands.add_parser("ask", help="ask a question")
    p.add_argument("question")
    p.add_argument("--index", help=index_help)
    p.add_argument("--k", type=int, default=5, help="passages to return (1-50)")
    p.add_argument("--mode", choices=("hybrid", "dense", "keyword"), default=None)
    p.add_argument(
        "--fast",
        action="store_true",
        help="first stage only: skip the cross-encoder that re-reads the best sentences",
    )
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.set_defaults(func=cmd_ask)

    p = commands.add_parser("list", help="list the indexed documents")
    p.add_argument("--index", help=index_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("remove", help="remove documents from the index")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="ids as shown by docqa list")
    p.add_argument("--index", help=index_help)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_remove)

    p = commands.add_parser("eval", help="evaluate on a question file (JSON lines)")
    p.add_argument("questions")
    p.add_argument("--index", help=index_help)
    p.add_argument(
        "--fast",
        action="store_true",
        help="first stage only: skip the cross-encoder that re-reads the best sentences",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = commands.add_parser("beir", help="index a BEIR folder and report nDCG@10, Recall@100")
    p.add_argument("folder")
    p.add_argument("--split", default="test")
    p.add_argument("--index", help="index directory (default: .docqa/beir/NAME)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_beir)

    p = commands.add_parser("serve", help="open the chat in a browser")
    p.add_argument("--index", help=index_help)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=7860, help="port (default: 7860; 0: the first free one)"
    )
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login")
    p.add_argument(
        "--no-auth", action="store_true", help="serve a non-loopback host without a login"
    )
    p.add_argument(
        "--max-upload-mb", type=float, default=20.0, help="largest upload, in MB (default: 20)"
    )
    p.set_defaults(func=cmd_serve)

    p = commands.add_parser("migrate", help="move the index to another backend (embeds nothing)")
    p.add_argument("--to", required=True, choices=BACKENDS, help="target backend")
    p.add_argument("--index", help=index_help)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_migrate)
    return parser


class _WithBackend:
    """Subcommand factory adding ``--backend`` and ``--milvus-uri`` to every command."""

    def __init__(self, sub: Any, parent: argparse.ArgumentParser) -> None:
        self._sub, self._parent = sub, parent

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self._sub.add_parser(
            name, parents=[self._parent], **kwargs
        )
        return parser


def _with_index(message: str, args: argparse.Namespace) -> str:
    """``message`` with its rebuild hint naming the ``--index`` the command was given."""
    index = getattr(args, "index", None)
    if index:
        for hint in _REBUILD_HINTS:
            message = message.replace(hint, f"{hint} --index {index}")
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``docqa``; returns the exit code (see :data:`EXIT_OK`)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    show_notices()
    from ingest.errors import DocqaError, InvalidInputError
    from ui.settings import Settings

    args = build_parser().parse_args(argv)
    try:
        settings = Settings.build(
            index=getattr(args, "index", None),
            backend=args.backend,
            milvus_uri=args.milvus_uri,
            milvus_collection=args.milvus_collection,
            ray=getattr(args, "ray", None),
            workers=getattr(args, "workers", None),
            for_ingest=args.command == "ingest",
        )
        if settings.embedding.ray is not None:
            # Ray's C++ core also logs to the terminal (an error line per Ray Data worker
            # about restarts that ingest does not need); Ray's own log files keep it all.
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
        return int(args.func(args, settings))
    except DocqaError as exc:
        print(f"docqa: error: {_with_index(str(exc), args)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, InvalidInputError) else EXIT_FAILED
    except OSError as exc:  # the disk or the file system refused: full, read-only, gone
        where = f": {exc.filename}" if exc.filename else ""
        print(f"docqa: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("docqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
