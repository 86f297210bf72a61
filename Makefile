# fastfib: `make run` starts the Lambda locally, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HANDLER ?= raw
PORT ?= 9000
RUNTIME_API_PORT ?= 9001

.PHONY: help venv test bench bench-rie serve rie clean

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

# The official RIE binary, fetched once from the aws-sam-cli wheel into .cache/rie/.
rie:
	@bash scripts/fetch-rie.sh

# The real RIE on the host around awslambdaric: the Go original's curl commands work unchanged.
serve: venv
	@rie=$$(bash scripts/fetch-rie.sh | tail -n 1) && \
	echo "fastfib.handlers.$(HANDLER) on http://localhost:$(PORT)/2015-03-31/functions/function/invocations (Ctrl-C stops)" && \
	cd /tmp && exec "$$rie" --runtime-interface-emulator-address 127.0.0.1:$(PORT) \
		--runtime-api-address 127.0.0.1:$(RUNTIME_API_PORT) \
		$(abspath $(PY)) -m awslambdaric fastfib.handlers.$(HANDLER)

# Latency (p50/p99) and INIT through RIE on the host, beside a trivial handler.
bench-rie: venv
	cd /tmp && PYTHONPATH=$(CURDIR)/tools $(abspath $(PY)) $(CURDIR)/tools/bench_rie.py

clean:
	rm -rf $(VENV) build dist *.egg-info csrc/*.c fastfib/*.so .pytest_cache .hypothesis
