# Dateline: `make demo` runs everything, `make test` tests everything.
# Needs only python3 (3.11+) and pip: uv is installed into .tools/ when not on PATH.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: install test test-unit demo up fuzz bench bench-cli bench-extract bench-feeds bench-ingest bench-enrich bench-enrich-worker bench-search bench-pipeline bench-long bench-startup bench-export bench-stream bench-page chaos eval learn lint clean assets

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

install: .venv/.synced

test: install
	$(RUN) pytest

test-unit: install
	$(RUN) pytest tests/unit

demo: install
	$(RUN) dateline demo

up: install
	$(RUN) dateline up

# Hostile input and schemathesis against a stack of its own; FUZZ_ARGS=--long for people.
fuzz: install
	$(RUN) python -m fuzz $(FUZZ_ARGS)

bench: bench-ingest bench-enrich bench-enrich-worker bench-search bench-pipeline

bench-cli: install
	$(RUN) python -m bench.cli

# the feedparser sdist's tests/wellformed (and illformed): see bench/feeds.py
bench-feeds: install
	$(RUN) python -m bench.feeds $(FEEDS)

# article text, dates, authors on public pages with gold text (not in this repository): see bench/extraction.py
bench-extract: install
	$(RUN) python -m bench.extraction $(EXTRACT)

bench-ingest: install
	$(RUN) python -m bench.ingest

bench-ingest-limits: install
	$(RUN) python -m bench.ingest_limits

bench-enrich: install
	$(RUN) python -m bench.enrich

bench-enrich-worker: install
	$(RUN) python -m bench.enrich_worker

bench-pipeline: install
	$(RUN) python -m bench.pipeline

bench-search: install
	$(RUN) python -m bench.search $(BENCH_ARGS)

# the search page's interactions and its load in Chromium, on the 200k-article index
bench-page: install
	$(RUN) python -m bench.page $(BENCH_ARGS)

bench-export: install
	$(RUN) python -m bench.export $(BENCH_ARGS)

bench-stream: install
	$(RUN) python -m bench.stream $(BENCH_ARGS)

bench-startup: install
	$(RUN) python -m bench.startup

# every process and Redis SIGKILLed at random under load; short form: make chaos CHAOS_ARGS="--articles 500 --kills 5"
chaos: install
	$(RUN) python -m bench.chaos $(CHAOS_ARGS)

bench-long: install
	$(RUN) python -m bench.long_article $(BENCH_ARGS)

# geotagging accuracy: the ranker cross-validated on the development corpora, then GeoWebNews
# end to end; EVAL_ARGS="--ablate NAME", "--errors", "--quick" (cross-validation only)
eval: install
	OPENBLAS_NUM_THREADS=1 $(RUN) python -m bench.eval_geo $(EVAL_ARGS)

# learn the place ranker's weights from the development corpora (services/enrich/data/);
# one BLAS thread: the learner's matrices are small, and threads fight on a shared machine
learn: install
	OPENBLAS_NUM_THREADS=1 $(RUN) python -m bench.learn_ranker

# the page's map and the API docs' files, from npm (see assets/README.md); the results are committed
assets:
	cd assets && npm ci --ignore-scripts --no-audit --no-fund
	$(PYTHON) assets/build.py

# entities on CoNLL-2003's development split: bare spaCy NER vs enrich_many (EVAL_ARGS=--errors ORG)
eval-ner: install
	$(RUN) python -m bench.eval_ner $(EVAL_ARGS)

# places in real German and French pages (EVAL_ARGS="--pages DIR --errors")
eval-languages: install
	$(RUN) python -m bench.eval_languages $(EVAL_ARGS)

lint: install
	$(RUN) ruff check .

clean:
	rm -rf .venv .tools data .pytest_cache
