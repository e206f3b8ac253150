# The two set-up commands of README.md, and what they stand on.
#   make demo   — venv, install, demo office on embedded SQLite, its documents in out/
#   make test   — venv, install with test extras, the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
OUT ?= out
DB = sqlite:///$(OUT)/demo.db
export SUPERVISE_PASSWORD ?= demo-2026

.PHONY: install demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q '.[test]' ./tests/plugins/supervise_example

demo: install
	mkdir -p $(OUT) && rm -f $(OUT)/demo.db $(OUT)/demo.db-wal $(OUT)/demo.db-shm
	$(BIN)/supervise --db $(DB) demo --seed 2026 | tee $(OUT)/demo-users.txt
	SUPERVISE_USER=admin $(BIN)/supervise --db $(DB) audit verify
	$(BIN)/supervise --db $(DB) workdays add 2025-09-30 5
	@echo "演示库 demo database: $(OUT)/demo.db"

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check supervise plugins tests

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
