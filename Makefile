# Two commands do all of their own set-up on a fresh machine with only Python:
#   make demo   creates .venv, installs scalewarden with the demo extra, runs the demo
#   make test   creates .venv with the dev extra and runs the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck check bench mutation docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,demo,postgres]'
	touch $@

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/scalewarden demo

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

check: lint typecheck test

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/http.py

# Mutation testing of the modules where a silent break costs most ([tool.mutmut] in
# pyproject.toml lists them and the tests run against them). Slow; not part of `check` or CI.
# Results: docs/benchmarks.md, "Mutation testing".
mutation: $(VENV)/.dev-installed
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 || true
	$(BIN)/mutmut results --all true

# Regenerates the configuration reference in docs/operations.md from the Settings model.
docs: $(VENV)/.dev-installed
	$(BIN)/python -m scalewarden.configref docs/operations.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
