# Đồng Hành — `make run` sets everything up and starts the bot; `make test` runs every test.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { PY=$$(PYTHON310="$(PYTHON310)" scripts/find-python310) && $$PY -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade "pip<24.1"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@scripts/ensure-chromium
	@touch $@

install: $(STAMP) ## create the Python 3.10 virtualenv and install the project

train: $(STAMP) ## train a model if none matches the data (donghanh train)
	$(BIN)/donghanh train

run: train ## set up, train if needed, and serve the web chat (and Telegram/Zalo when configured)
	$(BIN)/donghanh run

chat: train ## talk with the bot in the terminal
	$(BIN)/donghanh chat

test: $(STAMP) ## run the whole test suite (trains the model unless .cache/test-model/ has it)
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider

test-fast: $(STAMP) ## the inner loop: no model, no browser, no worker process (under 2 minutes)
	DONGHANH_TEST_FAST=1 $(BIN)/python -m pytest -q -rs -p no:cacheprovider \
		-m "not model and not slow and not browser and not workers"

eval: train ## evaluate on the held-out set
	$(BIN)/donghanh eval

validate: $(STAMP) ## rasa data validate
	$(BIN)/rasa data validate --fail-on-warnings --domain domain.yml --data nlu_data --config config.yml

bench: $(STAMP) ## our pipeline vs Rasa's default: training, load, parse, round trip, throughput, memory
	$(BIN)/python -m bench

lint: $(STAMP) ## ruff
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/ruff format --check bot actions tests bench

format: $(STAMP) ## ruff format
	$(BIN)/ruff format bot actions tests bench
	$(BIN)/ruff check --fix bot actions tests bench

types: $(STAMP) ## mypy
	$(BIN)/mypy bot actions

.PHONY: help install train run chat test test-fast eval validate bench lint format types
