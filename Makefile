# The README contract: `make run` starts the whole local system, `make test` installs and tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test check lint typecheck imports bench system-deps down clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

system-deps:
	@scripts/system-deps.sh

run: system-deps $(STAMP)
	$(BIN)/aidrec up --demo

down: $(STAMP)
	$(BIN)/aidrec down

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The arrows allowed between packages: contracts in pyproject.toml, drawn in docs/architecture.md.
imports: $(STAMP)
	$(BIN)/lint-imports

check: lint typecheck imports

test: system-deps $(STAMP) check
	$(BIN)/pytest -n 3 --dist loadfile -q $(PYTEST_ARGS)

bench: system-deps $(STAMP)
	for b in bench/[a-z]*_*.py; do $(BIN)/python -m bench.$$(basename $$b .py) || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
