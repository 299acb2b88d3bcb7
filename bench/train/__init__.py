"""Measurements of docqa's answer-sentence cross-encoder: held-out figures by fold, speed,
and the shipped model on docqa's own article.

The model itself, its fold models and the reader's blend are built by the ``training``
package (``python -m training``, ``make train``); nothing here writes a shipped file.
"""
