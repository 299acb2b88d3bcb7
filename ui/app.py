"""The Gradio chat: cited answers over ``retrieval.ask``, the document viewer, settings,
uploads, an ``ask`` API.

The retriever is obtained through :func:`retrieval.api.get_retriever` on every request: it is
cached (the model and index load once) and reloaded when an upload has written a new index
version. Each conversation keeps its answers (a ``gr.State``): they are the history a
follow-up question is read with, and what the viewer's citation links point into.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.embedding.settings import EmbeddingSettings
from ingest.errors import DocqaError, IndexNotFoundError
from ingest.formats.loaders import supported_suffixes
from ingest.index.backends.settings import BackendSettings
from ingest.sync.reports import ProgressFactory, no_progress
from retrieval import AskSettings, ask
from retrieval.api import get_retriever
from retrieval.inputs import MAX_QUESTION_CHARS
from retrieval.retriever import SEARCH_MODES, Retriever
from retrieval.types import Answer
from ui import render
from ui.links import parse_link, parse_place
from ui.script import OPEN_JS, READY_JS, SHOW_QUESTION_JS, SHOW_VIEWER_JS
from ui.uploads import (
    DEFAULT_MAX_UPLOAD_MB,
    UploadOutcome,
    ingest_uploads,
    megabytes_to_bytes,
    shown_progress,
)
from ui.viewer import locate, render_viewer, render_viewer_error

#: Example questions, shown when the index holds the bundled document they are about. None is
#: taken or paraphrased from an evaluation file (a test checks it): the last one names a
#: person the article is about but is not answered by it, to show what abstaining looks like
#: (a browser test checks that it abstains).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "kazakhstan-brics-refusal.md": (
        "Is Kazakhstan part of the Conference on Interaction and Confidence-Building Measures "
        "in Asia?",
        "Which Kazakh exports did the Russian ban cover?",
        "What did Tokayev study at university?",
    ),
}

Message = dict[str, Any]


@dataclass(frozen=True)
class ChatSettings:
    """What the chat serves.

    Attributes:
        index_dir: The index answered from and uploaded into.
        max_upload_mb: Largest upload accepted, in megabytes.
        backend: The index's backend and Milvus address.
        embedding: How the model runs.
    """

    index_dir: Path
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    backend: BackendSettings = field(default_factory=BackendSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)

    def retriever(self) -> Retriever:
        """The cached retriever of the index (reloaded when it changed)."""
        return get_retriever(self.index_dir, backend=self.backend, embedding=self.embedding)

    def ingest_uploads(
        self, files: Sequence[str | Path], *, progress: ProgressFactory = no_progress
    ) -> list[UploadOutcome]:
        """Save uploaded files into the index and ingest them (:func:`ui.uploads.ingest_uploads`:
        one upload at a time, under the index's writer lock), reusing the loaded model.

        Returns:
            One outcome per file (rejected files with the reason).

        Raises:
            DocqaError: the index cannot be written (busy, damaged, unreachable).
            OSError: the disk or the file system refused the copy.
        """
        try:
            embedder = self.retriever().embedder
        except IndexNotFoundError:
            embedder = None
        return ingest_uploads(
            files,
            self.index_dir,
            max_bytes=megabytes_to_bytes(self.max_upload_mb),
            embedder=embedder,
            backend=self.backend,
            progress=progress,
        )


def indexed_documents(settings: ChatSettings) -> dict[str, dict[str, Any]]:
    """The manifest entries of the documents in the index (empty when it cannot be read)."""
    try:
        return dict(settings.retriever().version.manifest.documents)
    except DocqaError:  # no index, or one that cannot be read: questions say why
        return {}


def document_choices(documents: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """``(label, doc_id)`` pairs for the document filter, sorted by title."""
    pairs = [(str(info.get("title") or d), d) for d, info in documents.items()]
    return sorted(pairs, key=lambda p: (p[0].casefold(), p[1]))


def example_questions(doc_ids: Sequence[str]) -> list[str]:
    """The example questions about documents present in the index."""
    return [q for d in doc_ids for q in EXAMPLES.get(d, ())]


def answer_turn(
    question: str,
    *,
    settings: ChatSettings,
    k: int,
    mode: str,
    documents: Sequence[str] | None,
    history: Sequence[Answer] = (),
) -> tuple[str, Answer | None]:
    """The chat message answering ``question`` after the answers in ``history`` (oldest
    first), and the answer; errors become a one-line message and no answer."""
    try:
        answer = ask(
            question,
            k=int(k),
            index=settings.index_dir,
            history=tuple(history),
            settings=AskSettings(
                mode=mode,  # type: ignore[arg-type]  # validated by ask()
                documents=list(documents) if documents else None,
                backend=settings.backend,
                embedding=settings.embedding,
            ),
        )
    except DocqaError as exc:
        return render.render_error(str(exc)), None
    return render.render_answer(answer, mode=mode, turn=len(history)), answer


def viewer_html(
    link: str | Mapping[str, str], *, settings: ChatSettings, answers: Sequence[Answer]
) -> str:
    """The viewer's HTML for a link (its ``?query``, or the query as a mapping; see
    :mod:`ui.links`) in the conversation of ``answers``, or why it cannot be shown."""
    try:
        place = parse_link(link) if isinstance(link, str) else parse_place(link)
        if place is None:
            return render_viewer_error("the link names no document")
        return render_viewer(locate(place, settings.retriever().version, answers))
    except DocqaError as exc:
        return render_viewer_error(str(exc))


def build_app(settings: ChatSettings) -> Any:
    """The Gradio Blocks app; pass :data:`ui.style.CSS` and the theme to ``launch()``."""
    index_dir = settings.index_dir
    documents = indexed_documents(settings)
    examples = example_questions(sorted(documents))

    def refresh_documents() -> tuple[Any, str]:
        docs = indexed_documents(settings)
        return gr.Dropdown(choices=document_choices(docs)), render.render_documents(docs)

    def add_question(question: str, history: list[Message]) -> tuple[str, list[Message], str]:
        question = (question or "").strip()
        if not question:
            return "", history, ""
        if len(question) > MAX_QUESTION_CHARS:  # kept in the box, to shorten
            gr.Warning(
                f"The question is {len(question):,} characters; the limit is "
                f"{MAX_QUESTION_CHARS:,}. Shorten it and ask again."
            )
            return question, history, ""
        return (
            "",
            [*history, {"role": "user", "content": render.render_question(question)}],
            question,
        )

    def pick_example(history: list[Message], evt: gr.SelectData) -> tuple[list[Message], str]:
        value = evt.value
        question = str(value.get("text", "") if isinstance(value, dict) else value)
        return [*history, {"role": "user", "content": render.render_question(question)}], question

    def respond(
        question: str,
        history: list[Message],
        k: float,
        mode: str,
        docs: list[str] | None,
        answers: list[Answer] | None = None,
    ) -> list[Message]:
        # ``answers`` is the session's own list (Gradio hands a State's object itself to the
        # handler), so the new answer is appended in place and the handler keeps returning
        # just the chat.
        if not question:
            return history
        earlier = answers if answers is not None else []
        message, answer = answer_turn(
            question, settings=settings, k=int(k), mode=mode, documents=docs, history=earlier
        )
        if answer is not None:
            earlier.append(answer)
        return [*history, {"role": "assistant", "content": message}]

    def open_viewer(link: str, answers: list[Answer]) -> tuple[str, Any, Any]:
        html = viewer_html(link or "", settings=settings, answers=answers)
        return html, gr.Column(visible=True), gr.Column(visible=False)

    def open_shared(request: gr.Request) -> tuple[Any, Any, Any]:
        query = dict(request.query_params)
        if not query.get("doc"):  # the chat's plain address: no viewer
            return gr.update(), gr.update(), gr.update()
        html = viewer_html(query, settings=settings, answers=())
        return html, gr.Column(visible=True), gr.Column(visible=False)

    def close_viewer() -> tuple[Any, Any]:
        return gr.Column(visible=False), gr.Column(visible=True)

    def upload(
        files: list[str] | None,
        progress: Any = gr.Progress(),  # noqa: B008  (Gradio injects a tracker for this default)
    ) -> tuple[Any, ...]:
        if not files:
            return (gr.update(), *refresh_documents(), None)
        progress(0, desc="saving")
        try:
            outcomes = settings.ingest_uploads(files, progress=shown_progress(progress))
            status = render.render_uploads(outcomes)
        except DocqaError as exc:
            status = render.render_error(str(exc))
        except OSError as exc:  # the disk or the file system refused: full, read-only
            status = render.render_error(f"the upload could not be saved ({exc.strerror or exc})")
        return (status, *refresh_documents(), None)

    def ask_endpoint(question: str, k: int = 5, mode: str = "hybrid") -> dict[str, Any]:
        """Answer a question; returns the same JSON as ``docqa ask --json``."""
        try:
            answer = ask(
                question,
                k=k,
                index=index_dir,
                settings=AskSettings(
                    mode=mode,  # type: ignore[arg-type]  # validated by ask()
                    backend=settings.backend,
                    embedding=settings.embedding,
                ),
            )
        except DocqaError as exc:
            raise gr.Error(str(exc)) from exc
        return answer.to_dict()

    with gr.Blocks(title="docqa", analytics_enabled=False) as app:
        with gr.Row(elem_id="dq-header"):
            gr.HTML(
                "<h1>docqa</h1><p>Ask about your documents. Every answer cites the passages it "
                "comes from, with the answering sentence highlighted.</p>"
            )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    height="70vh",
                    min_height=480,
                    render_markdown=False,
                    sanitize_html=True,
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=["copy_all"],
                    # The page's script shows each question with the start of its answer
                    # instead of following the bottom of the answer.
                    autoscroll=False,
                    elem_id="dq-chat",
                    placeholder="Ask a question about the documents in the index.",
                    examples=[{"text": q} for q in examples] or None,
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        show_label=False,
                        placeholder=f"Ask a question… (up to {MAX_QUESTION_CHARS:,} characters)",
                        elem_id="dq-question",
                        scale=6,
                        max_lines=4,
                        autofocus=True,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                    clear_btn = gr.Button(
                        "Clear", variant="secondary", scale=1, min_width=80, elem_id="dq-clear"
                    )
            with gr.Column(
                scale=3, min_width=420, visible=False, elem_id="dq-viewer-col"
            ) as viewer_col:
                with gr.Row(equal_height=True, elem_id="dq-viewer-bar"):
                    gr.HTML('<div class="dq-viewer-label">Document</div>')
                    close_btn = gr.Button(
                        "Close", size="sm", scale=0, min_width=70, elem_id="dq-viewer-close"
                    )
                # Never an event's output: the page's script moves each place's HTML here from
                # the hidden carrier below (Gradio keeps every output's last value in the
                # session, so the carrier is emptied once its HTML is shown).
                gr.HTML('<div class="dq-viewer-slot"></div>', elem_id="dq-viewer")
            with gr.Column(scale=1, min_width=300, elem_id="dq-side") as side_col:
                with gr.Accordion("Search", open=True):
                    doc_filter = gr.Dropdown(
                        choices=document_choices(documents),
                        value=[],
                        multiselect=True,
                        label="Only these documents",
                        info="Leave empty to search them all.",
                        elem_id="dq-filter",
                    )
                    # For tuning and comparing, not for asking: closed until opened.
                    with gr.Accordion("Passages and search mode", open=False, elem_id="dq-tuning"):
                        k_slider = gr.Slider(
                            1, 10, value=5, step=1, label="Passages", elem_id="dq-k"
                        )
                        mode_radio = gr.Radio(
                            list(SEARCH_MODES),
                            value="hybrid",
                            label="Search mode",
                            elem_id="dq-mode",
                        )
                with gr.Accordion("Add documents", open=True):
                    files = gr.File(
                        # No file_types: unsupported files reach the handler, which lists
                        # them with the reason next to the accepted ones.
                        file_count="multiple",
                        show_label=False,
                        height=110,
                        elem_id="dq-upload",
                    )
                    gr.HTML(
                        f'<div class="dq-hint">{", ".join(supported_suffixes())} · up to '
                        f"{settings.max_upload_mb:g} MB a file</div>"
                    )
                    upload_status = gr.HTML(elem_id="dq-upload-status")
                with gr.Accordion("Documents in the index", open=True):
                    doc_list = gr.HTML(render.render_documents(documents), elem_id="dq-docs")

        pending = gr.State("")
        answers = gr.State([])  # this conversation's Answers, oldest first
        # Hidden: the page's script puts a clicked link's query here and presses the button.
        link_box = gr.Textbox(visible="hidden", elem_id="dq-viewer-link")
        carrier = gr.Textbox(visible="hidden", elem_id="dq-viewer-carrier")
        open_btn = gr.Button("Open", visible="hidden", elem_id="dq-viewer-open")
        private: dict[str, Any] = {"api_visibility": "private"}
        asked = [pending, chatbot, k_slider, mode_radio, doc_filter, answers]
        for trigger in (question.submit, ask_btn.click):
            trigger(
                add_question,
                [question, chatbot],
                [question, chatbot, pending],
                # Queued: only queued events show Gradio's warning (a question over the limit).
                concurrency_limit=None,
                **private,
            ).then(None, js=SHOW_QUESTION_JS, **private).then(
                respond, asked, chatbot, **private
            ).then(None, js=SHOW_QUESTION_JS, **private)
        chatbot.example_select(
            pick_example, [chatbot], [chatbot, pending], queue=False, **private
        ).then(respond, asked, chatbot, **private).then(None, js=SHOW_QUESTION_JS, **private)
        clear_btn.click(
            lambda: ([], "", [], gr.Column(visible=False), gr.Column(visible=True)),
            None,
            [chatbot, pending, answers, viewer_col, side_col],
            queue=False,
            **private,
        )
        viewer_outputs = [carrier, viewer_col, side_col]

        def shown(event: Any) -> None:
            # The viewer's HTML into view, then out of the session's memory.
            event.then(None, js=SHOW_VIEWER_JS, **private).then(
                lambda: "", None, carrier, queue=False, **private
            )

        shown(
            open_btn.click(open_viewer, [link_box, answers], viewer_outputs, js=OPEN_JS, **private)
        )
        close_btn.click(close_viewer, None, [viewer_col, side_col], queue=False, **private)
        shown(app.load(open_shared, None, viewer_outputs, **private))
        files.upload(upload, [files], [upload_status, doc_filter, doc_list, files], **private)
        app.load(refresh_documents, None, [doc_filter, doc_list], **private).then(
            None, js=READY_JS, **private
        )
        gr.api(ask_endpoint, api_name="ask")
    return app
