# infermodel: `make help` lists the targets. Every target builds the local virtual
# environment (.venv) on first use, from nothing but python3 and make.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= reports/as-of-2025-05-31

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(STAMP) ## Create .venv and install the kit with its dev and lab extras

.PHONY: report
report: $(STAMP) ## Build the default report (the article's 20M-token table) into reports/
	$(BIN)/infermodel report --out $(OUT)

.PHONY: test
test: $(STAMP) ## Run the whole test suite (lint, data schema, formulas, CLI, notebooks)
	$(BIN)/ruff check infermodel tests
	$(BIN)/python -m pytest

.PHONY: validate
validate: $(STAMP) ## Check every shipped data table against its schema
	$(BIN)/infermodel validate

.PHONY: lab
lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks

.PHONY: clean
clean: ## Remove the virtual environment and built reports
	rm -rf $(VENV) reports/as-of-* reports/20*Q* reports/index.html reports/.failed reports/.*.building-*
