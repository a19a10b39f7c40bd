# Pantau: `make run` serves the app, `make test` runs the whole suite. Both set up what is missing.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PORT  ?= 8000

.PHONY: setup run test lint format bench clean-db

setup:
	@bash scripts/setup.sh

run: setup
	@$(BIN)/pantau up
	@PORT=$(PORT) $(BIN)/pantau serve

test: setup
	@$(BIN)/ruff check .
	@$(BIN)/pytest

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
