"""The chat page's script (passed to ``launch(js=...)``): links into the viewer, copy buttons,
scrolling the viewer to its passage.

- A click on a link of class ``dq-open`` (a citation, a card title, the viewer's own
  previous/next/page/text links) does not navigate: its ``?query`` is handed to the hidden
  button ``#dq-viewer-open``, whose event reads it (:data:`OPEN_JS`) and opens the viewer.
- A ``dq-copy`` button puts the text of the ``dq-copy-text`` element beside it on the
  clipboard, with links written ``<?doc=...>`` (or a bare ``?doc=...``) made absolute on the
  page's own address; it says "Copied" for two seconds.
- When the viewer shows a new place, its body scrolls so that the ``dq-vtarget`` element (the
  passage's start, or the sentence's box on a PDF page) is in view.
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

  const settle = () => {
    for (const share of document.querySelectorAll('a.dq-share:not(.dq-absolute)')) {
      share.classList.add('dq-absolute');
      share.textContent = share.href;
    }
    for (const body of document.querySelectorAll('.dq-vbody:not(.dq-scrolled)')) {
      body.classList.add('dq-scrolled');
      const target = body.querySelector('.dq-vtarget');
      if (!target) continue;
      const scroll = () => {
        const offset = target.getBoundingClientRect().top - body.getBoundingClientRect().top;
        body.scrollTop += offset - body.clientHeight / 4;
      };
      scroll();
      const image = body.querySelector('img');
      if (image && !image.complete) image.addEventListener('load', scroll, { once: true });
    }
  };
  new MutationObserver(settle).observe(document.body, { childList: true, subtree: true });
}
"""

#: The hidden open button's event: the link clicked last, then the other inputs unchanged.
OPEN_JS = "(link, ...rest) => [window.dqViewerRequest || '', ...rest]"
