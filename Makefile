# The two commands: `make run` (server with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format browser-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/python -m microblog.devserver

# Chromium for the browser tests comes from Debian's packages (Playwright drives it).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser-deps
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check microblog tests
	$(BIN)/ruff format --check microblog tests
	$(BIN)/mypy

format: install
	$(BIN)/ruff format microblog tests
	$(BIN)/ruff check --fix microblog tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
