# Two-command quickstart: `make demo` (set up + forecast) and `make test` (set up + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Torch goes in first and pinned, so that pip takes the local CPU build instead of a
# multi-GB CUDA build. Override on other machines, e.g. `make TORCH=torch demo`.
TORCH ?= torch==2.13.0
# The shared datasets sit beside the repository in development and CI.
export ACMIX_TS_DATA ?= $(abspath ../shared/datasets)

.PHONY: setup demo test test-all lint clean

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

lint: setup
	$(BIN)/ruff check acmix_ts tests benchmarks examples

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
