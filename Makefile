# Pantau: `make run` serves the app, `make test` runs the whole suite (what CI runs), `make check` the
# fast tier between edits. All set up what is missing.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PORT  ?= 8000

.PHONY: setup run test check lint format bench clean-db

setup:
	@bash scripts/setup.sh

run: setup
	@$(BIN)/pantau up
	@PORT=$(PORT) $(BIN)/pantau serve

test: setup
	@$(BIN)/ruff check .
	@$(BIN)/pytest

# Lint and every test not marked slow: unit tests, the in-process API contract tests
# (tests/test_contract_api.py) and quick database tests; no server process, no browser. Under
# 3 minutes (docs/CONTRIBUTING.md). The fuzzing plugins only slow its start-up here.
check: setup
	@$(BIN)/ruff check .
	@$(BIN)/pytest -q -m "not slow" -p no:schemathesis -p no:hypothesispytest -p no:anyio

lint: setup
	@$(BIN)/ruff check .

format: setup
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

bench: setup
	@bash bench/run.sh

# Stops the embedded cluster and deletes its data (boundaries and all records). Asks first.
clean-db:
	@read -p "Delete the embedded database in .pantau/ (all data)? [y/N] " a && [ "$$a" = y ]
	-@$(BIN)/pantau db stop
	rm -rf .pantau/pg .pantau/pglog .pantau/run
