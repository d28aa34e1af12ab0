# Two commands for a newcomer: `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.10 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup catalog train bench unit stories e2e clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@echo "==> Creating $(VENV) with $$($(PYTHON) --version) and installing pinned packages (first time: several minutes)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 10), "Python 3.10 is required (see .python-version)"'
	$(PY) -m pip install --progress-bar on -q "pip==24.0" "setuptools==70.3.0" "wheel==0.45.1"
	$(PY) -m pip install --progress-bar on -r requirements.txt -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

setup: $(STAMP)

catalog: setup
	@$(PY) -m bot catalog load

train: catalog
	@$(PY) -m bot train

run: train
	@scripts/run.sh

test: train
	@scripts/test.sh

bench: train
	@$(PY) -m bot.bench

clean:
	rm -rf $(VENV) models var data/generated reports/*.tmp
