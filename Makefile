# Trợ lý 06. `make run` starts the bot on SQLite at http://127.0.0.1:8000/; `make test` runs every check.
# Both create the virtual environment .venv/ from requirements.lock when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint lock bench bench-webhook bench-broadcast chaos eval eval-unseen clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# The stamp is newer than the lock and pyproject.toml once they are installed.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

run: $(VENV)/.installed ## Start the bot (web chat, API, /docs) on http://127.0.0.1:8000/
	$(BIN)/python -m bot serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed ## Import contracts, types, Dockerfile
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

# One pytest worker per core (pytest-xdist); a test module stays on one worker, so its module-scoped
# set-ups run once. Every test has its own SQLite file or PostgreSQL schema and its own ports.
PYTEST_WORKERS ?= auto

test: lint ## Lint, then the whole test suite on every core (browser tests need /usr/bin/chromium)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadscope

lock: $(VENV)/.installed ## Recompile requirements.lock from pyproject.toml
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev -o requirements.lock --python $(BIN)/python

bench: $(VENV)/.installed ## Matcher and answer speed
	$(BIN)/python -m bot bench

bench-webhook: $(VENV)/.installed ## Telegram webhook updates/s and latency (SQLite, one worker)
	$(BIN)/python -m bot.bench_webhook --db sqlite --workers 1

chaos: $(VENV)/.installed ## Fault scenarios (kill -9, database loss, Bot API down): lost/duplicated/delayed
	for s in "kill --db sqlite" "kill --db postgres" "db-loss --db sqlite" "db-loss --db postgres" "api-down"; do \
	  $(BIN)/python -m bot chaos $$s || exit 1; done

eval: $(VENV)/.installed ## Score the bot on the development, extra and guide-start question sets
	$(BIN)/python -m bot eval tests/data/dev_queries.yaml
	$(BIN)/python -m bot eval tests/data/extra_queries.yaml $(filter-out %/fresh_queries_15.yaml,$(wildcard tests/data/fresh_queries_*.yaml)) tests/data/long_queries_1.yaml tests/data/flow_queries.yaml
	$(BIN)/python -m bot eval tests/data/real_questions_*.yaml

eval-unseen: $(VENV)/.installed ## Today's code on the content of the day each real-question batch was collected
	$(BIN)/python -m bot.eval_unseen

clean: ## Remove the virtual environment and caches (keeps data/)
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

bench-broadcast: $(VENV)/.installed ## an announcement to 3,000 subscribers through a fake Bot API (30/s)
	$(BIN)/python -m bot bench-broadcast --subscribers 3000
