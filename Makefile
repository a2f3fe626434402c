# The two commands a newcomer runs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck golden bench screenshots vendor clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/threatlake serve --data-dir ./var

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check threatlake tests bench deploy
	$(BIN)/ruff format --check threatlake tests bench deploy

typecheck: $(STAMP)
	$(BIN)/mypy

# Regenerate the golden files after a reviewed mapping change.
golden: $(STAMP)
	$(BIN)/python -m tests.golden
	$(BIN)/python -m tests.query.regen
	$(BIN)/python -m tests.store.regen

bench: $(STAMP)
	$(BIN)/python bench/mapping.py

# Regenerate docs/screenshots/*.png of the main pages (headless Debian chromium, real service, demo data).
screenshots: $(STAMP)
	$(BIN)/python -m tests.e2e.screenshots

# Rebuild the vendored browser libraries (threatlake/web/static/vendor/) from the npm registry.
vendor:
	threatlake/web/static/vendor/recipe/build.sh

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
