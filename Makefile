# Dateline: `make demo` runs everything, `make test` tests everything.
# Needs only python3 (3.11+) and pip: uv is installed into .tools/ when not on PATH.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: install test test-unit demo up bench bench-ingest bench-enrich bench-enrich-worker bench-search bench-pipeline bench-long eval lint clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
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

bench: bench-ingest bench-enrich bench-enrich-worker bench-search bench-pipeline

bench-ingest: install
	$(RUN) python -m bench.ingest

bench-enrich: install
	$(RUN) python -m bench.enrich

bench-enrich-worker: install
	$(RUN) python -m bench.enrich_worker

bench-pipeline: install
	$(RUN) python -m bench.pipeline

bench-search: install
	$(RUN) python -m bench.search

bench-long: install
	$(RUN) python -m bench.long_article $(BENCH_ARGS)

eval: install
	$(RUN) python -m bench.eval_geo $(EVAL_ARGS)

lint: install
	$(RUN) ruff check .

clean:
	rm -rf .venv .tools data .pytest_cache
