"""The chat's look: a Gradio theme with local fonts only, and the CSS of answers and cards."""

from __future__ import annotations

from typing import Any

#: System font stacks: nothing is fetched from a font service, so the page works offline.
SANS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#dq-header h1 { margin: 0; font-size: 1.6rem; letter-spacing: -0.01em; }
#dq-header p { margin: 0.15rem 0 0; color: var(--body-text-color-subdued); }
.dq-answer { display: flex; flex-direction: column; gap: 0.55rem; }
.dq-lead { margin: 0; font-size: 1.04rem; line-height: 1.55; font-weight: 500;
  white-space: pre-wrap; }
.dq-question { white-space: pre-wrap; }
.dq-cite { color: var(--color-accent); font-weight: 700; margin-left: 1px; font-size: 0.78em; }
.dq-abstain { font-weight: 600; }
.dq-error { margin: 0; color: var(--error-text-color); }
.dq-sources-label { font-size: 0.74rem; font-weight: 700; letter-spacing: 0.06em;
  text-transform: uppercase; color: var(--body-text-color-subdued); margin-top: 0.2rem; }
.dq-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 0.5rem 0.8rem; background: var(--background-fill-primary); }
.dq-card > summary { cursor: pointer; font-weight: 600; line-height: 1.4; list-style: none;
  display: flex; align-items: baseline; gap: 0.45rem; }
.dq-card > summary::-webkit-details-marker { display: none; }
.dq-card > summary::before { content: "▸"; color: var(--body-text-color-subdued);
  flex-shrink: 0; width: 0.7rem; }
.dq-card[open] > summary::before { content: "▾"; }
.dq-card[open] > summary { margin-bottom: 0.45rem; }
.dq-num { color: var(--color-accent); flex-shrink: 0; }
.dq-head { flex: 1 1 auto; min-width: 0; display: flex; flex-wrap: wrap; align-items: baseline;
  column-gap: 0.6rem; row-gap: 0.1rem; }
.dq-title { flex: 1 1 10rem; min-width: 0; overflow-wrap: break-word; }
.dq-meta { flex: 0 1 auto; min-width: 0; max-width: 100%; display: flex; flex-wrap: wrap;
  column-gap: 0.3rem; font-size: 0.8rem; font-weight: 400; color: var(--body-text-color-subdued); }
.dq-doc { min-width: 0; max-width: 100%; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; font-style: italic; }
.dq-page, .dq-score { white-space: nowrap; }
.dq-sources-doc { text-transform: none; letter-spacing: normal; font-weight: 600; }
.dq-passage { font-size: 0.92rem; line-height: 1.6; white-space: pre-wrap; }
.dq-passage mark { background: #fde68a; color: #1f2937; padding: 0.05rem 0.15rem;
  border-radius: 3px; }
.dq-nearest > summary { cursor: pointer; color: var(--body-text-color-subdued); }
.dq-nearest[open] > summary { margin-bottom: 0.5rem; }
.dq-nearest .dq-card { margin-bottom: 0.5rem; }
.dq-footer { font-size: 0.76rem; color: var(--body-text-color-subdued); }
.dq-uploads { list-style: none; padding: 0; margin: 0; font-size: 0.88rem;
  overflow-wrap: anywhere; }
.dq-uploads li { padding: 0.2rem 0; }
.dq-status-added, .dq-status-updated { color: #15803d; font-weight: 600; }
.dq-status-unchanged { color: var(--body-text-color-subdued); font-weight: 600; }
.dq-status-rejected { color: var(--error-text-color); font-weight: 600; }
.dq-docs { font-size: 0.86rem; overflow-wrap: anywhere; }
.dq-hint { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.dq-docs ul { padding-left: 1.1rem; margin: 0.3rem 0 0; }
.dq-docs .dq-docid { color: var(--body-text-color-subdued); font-size: 0.8rem; }
.dq-answer a.dq-open { color: inherit; text-decoration: none; }
.dq-answer a.dq-open:hover { text-decoration: underline; }
.dq-cite a.dq-open { color: var(--color-accent); }
.dq-tools { display: flex; gap: 0.4rem; }
.dq-copy { font-size: 0.76rem; padding: 0.1rem 0.55rem; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); }
.dq-copy:hover { border-color: var(--color-accent); }
#dq-viewer-bar { align-items: center; }
.dq-viewer-label { font-size: 0.74rem; font-weight: 700; letter-spacing: 0.06em;
  text-transform: uppercase; color: var(--body-text-color-subdued); }
.dq-viewer { display: flex; flex-direction: column; gap: 0.5rem; text-align: left; }
.dq-vhead { display: flex; flex-direction: column; gap: 0.2rem; }
.dq-vtitle { font-weight: 700; font-size: 1.05rem; line-height: 1.35; overflow-wrap: anywhere; }
.dq-crumbs { display: flex; flex-wrap: wrap; gap: 0.2rem; font-size: 0.84rem;
  color: var(--body-text-color-subdued); }
.dq-crumb + .dq-crumb::before { content: "›"; margin-right: 0.2rem; }
.dq-vmeta { font-size: 0.78rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.dq-vnav { display: flex; flex-wrap: wrap; gap: 0.35rem; align-items: center;
  font-size: 0.82rem; }
.dq-vnav a, .dq-vnav span.dq-disabled, .dq-vnav span.dq-vcurrent { padding: 0.1rem 0.5rem;
  border-radius: 6px; border: 1px solid var(--border-color-primary); text-decoration: none; }
.dq-vnav a { color: var(--color-accent); }
.dq-vnav .dq-disabled { opacity: 0.45; }
.dq-vnav .dq-vcurrent { background: var(--background-fill-secondary); font-weight: 600; }
.dq-vpos { margin-right: 0.3rem; color: var(--body-text-color-subdued); }
.dq-vbody { max-height: 62vh; overflow: auto; border: 1px solid var(--border-color-primary);
  border-radius: 10px; background: var(--background-fill-primary); position: relative; }
.dq-vtext { white-space: pre-wrap; font-size: 0.9rem; line-height: 1.6; padding: 0.7rem 0.9rem;
  overflow-wrap: anywhere; }
.dq-vpassage { background: rgba(99, 102, 241, 0.13); border-radius: 3px; }
.dq-vtext mark { background: #fde68a; color: #1f2937; border-radius: 3px; }
.dq-earlier, .dq-later { display: block; font-size: 0.8rem; color: var(--color-accent);
  white-space: normal; margin: 0.3rem 0; }
.dq-pdfpage { position: relative; width: 100%; }
.dq-pdfpage img { width: 100%; height: 100%; display: block; }
.dq-pdfbox { position: absolute; border-radius: 2px; pointer-events: none; }
.dq-pdf-passage { background: rgba(99, 102, 241, 0.16); }
.dq-pdf-sentence { background: rgba(250, 204, 21, 0.45); outline: 1px solid #eab308; }
.dq-vcaption { text-align: center; font-size: 0.78rem; padding: 0.3rem;
  color: var(--body-text-color-subdued); }
.dq-vnote { margin: 0; font-size: 0.82rem; color: var(--body-text-color-subdued); }
.dq-vshare { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center;
  font-size: 0.78rem; color: var(--body-text-color-subdued); }
.dq-share { overflow-wrap: anywhere; min-width: 0; flex: 1 1 12rem; text-align: left; }
.dq-vmarks { display: none; }
.dq-vh { font-weight: 700; color: var(--body-text-color); }
.dq-vh1 { font-size: 1.3em; }
.dq-vh2 { font-size: 1.17em; }
.dq-vh3 { font-size: 1.06em; }
/* Phones and narrow windows: one column, nothing wider than the screen, the viewer over the
   whole screen (Escape or Close returns to the chat). */
@media (max-width: 720px) {
  .gradio-container { min-width: 0 !important; max-width: 100vw !important;
    padding: 0 6px !important; }
  .gradio-container .main, .gradio-container .wrap, .gradio-container .contain,
  .gradio-container .row, .gradio-container .column, #dq-chat .message-wrap,
  #dq-chat .bubble-wrap { min-width: 0 !important; }
  .gradio-container .row.unequal-height { flex-wrap: wrap; }
  .gradio-container .row.unequal-height > .column { flex: 1 1 100% !important; }
  #dq-chat .message-row { max-width: 100% !important; }
  #dq-viewer-col { position: fixed !important; inset: 0; z-index: 1000; margin: 0 !important;
    padding: 8px; overflow: auto; flex-direction: column !important; flex-wrap: nowrap !important;
    background: var(--background-fill-primary); }
}
"""


def theme() -> Any:
    """The Gradio theme (built on call: importing this module loads no Gradio)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=SANS, font_mono=MONO)
