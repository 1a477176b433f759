# Two-command quickstart: `make demo` (set up + forecast) and `make test` (set up + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Torch goes in first and pinned, so that pip takes the local CPU build instead of a
# multi-GB CUDA build. Override on other machines, e.g. `make TORCH=torch demo`.
TORCH ?= torch==2.13.0
# The shared datasets sit beside the repository in development and CI.
export ACMIX_TS_DATA ?= $(abspath ../shared/datasets)

.PHONY: setup demo test test-all lint typecheck docs check bench-env clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/python examples/quickstart.py

test: setup
	$(BIN)/python -m pytest -q -m "not slow and not gpu"

test-all: setup
	$(BIN)/python -m pytest -q

# The benchmark environment: the peers (statsforecast needs pandas < 3, so it gets its own
# venv) and the real-world suite's data. `make bench-env`, then `.venv-bench/bin/python
# -m benchmarks.realworld` or `-m benchmarks.peers` from the repository root.
BENCH_VENV ?= .venv-bench
bench-env:
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -c "import torch" 2>/dev/null || $(BENCH_VENV)/bin/python -m pip install -q "$(TORCH)"
	$(BENCH_VENV)/bin/python -m pip install -q -e ".[bench,peers]"

lint: setup
	$(BIN)/ruff check acmix_ts tests benchmarks examples
	$(BIN)/ruff format --check acmix_ts tests benchmarks examples

typecheck: setup
	$(BIN)/mypy

# The documentation site (mkdocs + Material + mkdocstrings), offline, warnings as errors.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# What CI runs (.ci/run): lint, types, the docs, then the README's test command.
check: lint typecheck docs test

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache .mypy_cache site
