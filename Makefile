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

# The browser test drives a system Chromium (no browser download). Debian's package is
# installed when none is found; that needs root or password-less sudo.
.PHONY: chromium
chromium: ## Install Debian's Chromium for the browser test, if no Chromium or Chrome is found
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
		|| command -v google-chrome >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "make: the browser test needs Chromium: run 'apt-get install chromium' as root" >&2; \
		exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null

# The spark engine's tests start a local Spark, which needs Java 17 or later. Debian's
# headless JRE is installed when none is found (root or password-less sudo, as above).
.PHONY: java
java: ## Install a Java 17 runtime for the Spark tests, if no Java 17+ is found
	@if command -v java >/dev/null && java -version 2>&1 \
		| grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "make: the Spark tests need Java 17+: run 'apt-get install openjdk-17-jre-headless' as root" >&2; \
		exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(STAMP) ## Create .venv and install the kit with its dev and lab extras

.PHONY: report
report: $(STAMP) ## Build the default report (the article's 20M-token table) into reports/
	$(BIN)/infermodel report --out $(OUT)

.PHONY: test
test: $(STAMP) chromium java ## Run the whole test suite (lint, data, formulas, CLI, notebooks, browser, Spark)
	$(BIN)/ruff check infermodel tests notebooks
	$(BIN)/python -m pytest -n auto

.PHONY: check
check: $(STAMP) ## The inner loop: lint and the fast tests (no notebook, Spark, browser or install test)
	$(BIN)/ruff check infermodel tests notebooks benchmarks
	$(BIN)/python -m pytest -n auto -q -m "not slow and not notebook and not spark"

.PHONY: docs
docs: $(STAMP) ## Build the documentation site into site/ (strict: a broken link fails)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

.PHONY: validate
validate: $(STAMP) ## Check every shipped data table against its schema
	$(BIN)/infermodel validate

.PHONY: lab
lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks

.PHONY: clean
clean: ## Remove the virtual environment and built reports
	rm -rf $(VENV) site reports/as-of-* reports/20*Q* reports/index.html reports/.failed reports/.*.building-*
