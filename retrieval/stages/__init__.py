"""The question path, one stage per module, in the order a question goes through them:

1. :mod:`~retrieval.stages.resolve`: the question in its conversation (follow-ups lean on
   earlier turns), read once into what every later stage needs;
2. :mod:`~retrieval.stages.first_stage`: hybrid search and fusion rank the chunks; the best
   become the shortlist, with their sentences' first-stage figures;
3. :mod:`~retrieval.stages.read`: a :class:`~retrieval.stages.read.Reader` orders the
   shortlist and picks each passage's highlight (the cross-encoder, or the
   :class:`~retrieval.stages.read.NullReader` that keeps the first stage's choices);
4. :mod:`~retrieval.stages.decide`: abstain or answer, from the first stage's calibrated
   confidence;

then :mod:`~retrieval.stages.cite` turns what was read into cited passages.
:class:`retrieval.retriever.Retriever` runs them in that order.
"""
