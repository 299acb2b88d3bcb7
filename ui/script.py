"""The chat page's script (passed to ``launch(js=...)``): links into the viewer, copy buttons,
scrolling the viewer to its passage.

- A plain click on a link of class ``dq-open`` (a citation, a card title, the viewer's own
  previous/next/page/text links) does not navigate: its ``?query`` is handed to the hidden
  button ``#dq-viewer-open``, whose event reads it (:data:`OPEN_JS`) and opens the viewer. A
  middle click, a Ctrl/Cmd/Shift click or "open in new tab" follow the link as any link: it
  names its document and offsets, so a new tab opens the viewer at the same place.
- Escape closes the viewer.
- A ``dq-copy`` button puts the text of the ``dq-copy-text`` element beside it on the
  clipboard, with links written ``<?doc=...>`` (or a bare ``?doc=...``) made absolute on the
  page's own address; it says "Copied" for two seconds.
- Each time the viewer opens (:data:`SHOW_VIEWER_JS`, also when it reopens the same place),
  the place's HTML is moved from the hidden ``#dq-viewer-carrier`` box into the viewer (the
  server then empties the carrier, so no session keeps a viewer's HTML), and the viewer's
  body scrolls so that the ``dq-vtarget`` element (the passage's start, or the sentence's box
  on a PDF page) is a quarter down its visible height.
- The chat does not follow the bottom of a new answer: :data:`SHOW_QUESTION_JS` scrolls it so
  that the last question, and under it the start of its answer, are at the top.
- Once the page's load events have run (the document list is in), :data:`READY_JS` marks the
  page ready (``<html data-dq-ready="1">``): the question box and its handlers are live, so
  scripts driving the page (the browser tests) type only after it.
"""

from __future__ import annotations

#: Run once when the page loads.
SCRIPT = r"""
() => {
  const base = () => location.origin + location.pathname;
  const absolute = (text) =>
    text.replace(/(?<!\\)<\?(?=doc=)/g, '<' + base() + '?').replace(/^\?(?=doc=)/, base() + '?');

  async function copy(button) {
    const source = button.parentElement && button.parentElement.querySelector('.dq-copy-text');
    const text = absolute(source ? source.textContent : '');
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch (error) {  // no clipboard API (plain http on another host): the old way
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { done = document.execCommand('copy'); } catch (ignored) { done = false; }
      area.remove();
    }
    if (button.dqLabel === undefined) button.dqLabel = button.textContent;
    button.textContent = done ? 'Copied' : 'Copy failed';
    clearTimeout(button.dqTimer);
    button.dqTimer = setTimeout(() => { button.textContent = button.dqLabel; }, 2000);
  }

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const link = target.closest('a.dq-open');
    if (link) {
      // Another tab or window: the browser follows the shared link in href.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      event.stopPropagation();
      window.dqViewerRequest = link.getAttribute('href') || '';
      const open = document.querySelector('#dq-viewer-open');
      if (open) open.click();
      return;
    }
    const button = target.closest('button.dq-copy');
    if (button) {
      event.preventDefault();
      event.stopPropagation();
      copy(button);
    }
  }, true);

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    const close = document.querySelector('#dq-viewer-close');
    if (close && close.offsetParent !== null) {
      event.preventDefault();
      close.click();
    }
  });

  // The viewer's body scrolled so that its target sits a quarter down; once it is laid out
  // (the column may still be hidden for a few frames) and again when a page image loads.
  const scrollViewer = (body) => {
    const target = body.querySelector('.dq-vtarget');
    if (!target) return;
    const scroll = () => {
      const offset = target.getBoundingClientRect().top - body.getBoundingClientRect().top;
      body.scrollTop += offset - body.clientHeight / 4;
    };
    let frames = 0;
    const attempt = () => {
      if (body.clientHeight > 0) scroll();
      else if (frames++ < 120) requestAnimationFrame(attempt);
    };
    attempt();
    const image = body.querySelector('img');
    if (image && !image.complete) image.addEventListener('load', scroll, { once: true });
  };
  window.dqShowViewer = () => {
    const carrier = document.querySelector('#dq-viewer-carrier textarea');
    const slot = document.querySelector('#dq-viewer .dq-viewer-slot');
    if (carrier && slot && carrier.value) {
      slot.innerHTML = carrier.value;  // HTML docqa wrote, every document text escaped
    }
    for (const body of document.querySelectorAll('#dq-viewer .dq-vbody')) {
      body.classList.add('dq-scrolled');
      scrollViewer(body);
    }
  };

  window.dqShowQuestion = () => {
    const rows = document.querySelectorAll('#dq-chat .message-row.user-row');
    const row = rows[rows.length - 1];
    if (!row) return;
    let scroller = row.parentElement;
    while (scroller && scroller.scrollHeight <= scroller.clientHeight + 1) {
      scroller = scroller.parentElement;
    }
    if (!scroller || scroller === document.body || scroller === document.documentElement) {
      row.scrollIntoView({ block: 'start' });
      return;
    }
    const offset = row.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    scroller.scrollTop += offset - 8;
  };

  const settle = () => {
    for (const share of document.querySelectorAll('a.dq-share:not(.dq-absolute)')) {
      share.classList.add('dq-absolute');
      share.textContent = share.href;
    }
    // A place shown without the open button (a shared link loading the page).
    for (const body of document.querySelectorAll('.dq-vbody:not(.dq-scrolled)')) {
      body.classList.add('dq-scrolled');
      scrollViewer(body);
    }
  };
  new MutationObserver(settle).observe(document.body, { childList: true, subtree: true });
}
"""

#: The hidden open button's event: the link clicked last, then the other inputs unchanged.
OPEN_JS = "(link, ...rest) => [window.dqViewerRequest || '', ...rest]"

#: After the viewer opened: scroll its body to the place (see the module's description).
SHOW_VIEWER_JS = "() => { window.dqShowViewer && window.dqShowViewer(); }"

#: After the page's load events: mark it ready for questions (see the module's description).
READY_JS = "() => { document.documentElement.dataset.dqReady = '1'; }"

#: After a question or its answer entered the chat: the question at the top.
SHOW_QUESTION_JS = "() => { window.dqShowQuestion && window.dqShowQuestion(); }"
