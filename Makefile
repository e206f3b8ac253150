# The two set-up commands of README.md, and what they stand on.
#   make demo   — venv, install, demo office on embedded SQLite, monthly report and circular in out/
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
	SUPERVISE_USER=jiwei01 $(BIN)/supervise --db $(DB) escalate --as-of 2026-11-20T18:00
	SUPERVISE_USER=jiwei01 $(BIN)/supervise --db $(DB) report monthly --month 2026-10 --as-of 2026-11-20T18:00 --out $(OUT)/report
	SUPERVISE_USER=jiwei01 $(BIN)/supervise --db $(DB) circular monthly --month 2026-10 --out $(OUT)/circular-2026-10.pdf
	@echo "演示库 demo database: $(OUT)/demo.db; 月报 report: $(OUT)/report/; 通报 circular: $(OUT)/circular-2026-10.pdf"

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check supervise plugins tests bench
	$(BIN)/ruff format --check supervise plugins tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
