# docqa: `make run` opens the chat, `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# What running docqa needs (`make run`), then what its tests and tools add (`make test`...).
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-dev
# Empty: docqa's default index (docs/cli.md, "Which index"); `make run INDEX=DIR` for another.
INDEX ?=
INDEX_FLAG := $(if $(INDEX),--index $(INDEX))
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export GRADIO_ANALYTICS_ENABLED := False
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-run browser run test check format screenshots train bench bench-scale bench-quality bench-ingest bench-load bench-experiments bench-followups bench-confidence clean

$(RUN_STAMP): pyproject.toml
	@echo "docqa: installing what the chat needs into $(VENV) (first run only; a few minutes)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of PyTorch first: an unpinned torch would pull a CUDA build of several GB.
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	@echo "docqa: installing the test and development tools into $(VENV)"
	$(PY) -m pip install -e '.[dev]'
	touch $(STAMP)

install-run: $(RUN_STAMP)

install: $(STAMP)

run: install-run
	$(VENV)/bin/docqa ingest corpus/ $(INDEX_FLAG)
	$(VENV)/bin/docqa serve $(INDEX_FLAG)

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: install browser
	$(VENV)/bin/lint-imports
	DOCQA_REQUIRE_BROWSER=1 $(PY) -m pytest -q

check: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The chat's screenshots in docs/ (chat.png, viewer.png, viewer-pdf.png, followup.png), taken by
# its browser tests; a plain test run writes them to tests/artifacts/ instead.
screenshots: install browser
	DOCQA_SCREENSHOTS=docs DOCQA_REQUIRE_BROWSER=1 $(PY) -m pytest -q \
		tests/live/test_ui_screenshot.py tests/live/test_ui_viewer.py \
		-k "readme_picture or citation_opens or pdf_passage or follow_up"

# Speed against the LangChain tutorial pipeline, and growth up to a million chunks.
# Both tables: docqa against the LangChain tutorial pipeline, then 10k/100k/1M chunks
# (about 40 minutes on 2 cores; the 1M build peaks near 10 GB).
bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.speed
	$(PY) -m bench.scale

bench-scale: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.scale

# The ablation rows: SciFact, the article's questions, SQuAD's folds, covidqa-train's 49 long
# articles (default and fast path; the first covidqa-train ingest takes several minutes).
bench-quality: install
	$(PY) -m bench.quality
	$(PY) -m bench.confidence --parts calibration

# Whether the confidence means what it says: the article alone and among 57 other documents,
# and calibration on squad2-train and covidqa-train (about 10 minutes on 2 cores).
bench-confidence: install
	$(PY) -m bench.confidence

# SciFact: first ingest, unchanged re-ingest, one changed document (several CPU minutes).
bench-ingest: install
	$(PY) -m bench.ingest

# Follow-up questions with and without history, and written out in full (about 30 s).
bench-followups: install
	$(PY) -m bench.followups

# 20 gradio_client users on the chat's ask API for 60 s (loopback, real model), then the viewer in
# Chromium: 2,000 opens and 300 new sessions opening a 2.3 MB document (about 20 minutes).
bench-load: install
	$(PY) -m bench.load --part all

# Choices measured on SciFact's train split and left out: chunk size, sentence vectors with
# context, a learned ranker (about 30 minutes; docs/quality.md, "Measured on the train split
# and left out").
bench-experiments: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.chunking
	$(PY) -m bench.context_windows
	$(PY) -m bench.learned_ranker

# Every learned artifact, by the training package: the cross-encoder (about 14 minutes), then
# the fold models, the first stage's indexes of SQuAD's folds and of the written documents, the
# second stage's candidates on them and the blend fitted on them
# (retrieval/rerank/model/reader.json), then the confidence heads (confidence.json); about
# 57 minutes on 2 cores. Intermediate files go to build/training/; the model card says
# how each file is made.
train: install
	$(PY) -m training

clean:
	rm -rf $(VENV) .docqa .pytest_cache .mypy_cache .ruff_cache
