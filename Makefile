# Two commands: `make run` (the gateway, embedded default) and `make test` (every check:
# scripts/check.py runs ruff, mypy, the import contracts and pytest; KODEORD_TEST_POSTGRES_URL
# adds the PostgreSQL leg).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Kodeord needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kodeord serve

test: $(STAMP)
	$(BIN)/python scripts/check.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
