# fastfib: `make run` starts the Lambda locally, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HANDLER ?= raw
PORT ?= 9000
RUNTIME_API_PORT ?= 9001

# Container images. The bases are pinned by tag and overridable; `make
# offline-bases` prints the values that select local stand-ins instead.
# ARCH is the Lambda architecture, x86_64 or arm64: arm64 images are built
# for linux/arm64 (emulated on an x86_64 machine) and their tags end in -arm64.
ARCH ?= x86_64
ARCH_SUFFIX = $(if $(filter arm64,$(ARCH)),-arm64)
PLATFORM_FLAG = $(if $(filter arm64,$(ARCH)),--platform linux/arm64)
DOCKER ?= docker
BUILDER_IMAGE ?= python:3.13-slim-trixie
RUNTIME_IMAGE ?= gcr.io/distroless/python3-debian13:nonroot
DEBUG_RUNTIME_IMAGE ?= gcr.io/distroless/python3-debian13:debug
RIE ?=
IMAGE ?= fastfib:latest$(ARCH_SUFFIX)
TEST_IMAGE ?= testfastfib:latest$(ARCH_SUFFIX)
DEBUG_IMAGE ?= fastfib:debug$(ARCH_SUFFIX)
SLIM_IMAGE ?= fastfib:slim
SLIM_TEST_IMAGE ?= testfastfib:slim
DOCKER_BUILD_FLAGS ?=
DOCKER_RUN_FLAGS ?=
BASE_ARGS = --build-arg BUILDER_IMAGE=$(BUILDER_IMAGE) --build-arg RUNTIME_IMAGE=$(RUNTIME_IMAGE) \
	--build-arg DEBUG_RUNTIME_IMAGE=$(DEBUG_RUNTIME_IMAGE) --build-arg FLINT_CONTEXT=$(FLINT_CONTEXT)
BUILD = $(DOCKER) build $(PLATFORM_FLAG) $(DOCKER_BUILD_FLAGS)
# $(call build_stage,TARGET,TAG): only the stages TARGET needs, as BuildKit
# would; the classic builder would build every stage before it.
build_stage = set -o pipefail && $(PYTHON) scripts/dockerfile_stages.py $(1) Dockerfile | \
	$(BUILD) $(BASE_ARGS) --target $(1) -f - -t $(2) .
OFFLINE_BASES = ARCH=$(ARCH) bash scripts/offline-bases.sh

# SAM CLI, pinned (with its dependencies: docker/sam-constraints.txt) in a venv
# of its own, never in the image; it only serves the template locally.
SAM_VERSION = 1.170.0
SAM_VENV ?= .cache/sam-venv
SAM = SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
SAM_LOCAL_ARGS = --template template.yaml --skip-pull-image \
	--parameter-overrides "ImageUri=$(DEBUG_IMAGE) Architecture=$(ARCH)"
FUNCTION ?= FibRawFunction
EVENT ?= events/raw.json
# A local RIE binary is copied into the build context (.cache/) for Dockerfile.test.
RIE_CONTEXT = .cache/rie-context/aws-lambda-rie

# FLINT with its small-prime NTT (fft_small), the NTT path's one build per
# machine and architecture (scripts/build-flint.sh): kept outside the clone,
# keyed by the script's recipe, so a fresh clone (CI) reuses it. The venv,
# the images and the wheels all link this same static library.
FASTFIB_CACHE ?= $(HOME)/.cache/fastfib
FLINT_ARCH = $(if $(filter arm64 aarch64,$(ARCH)),aarch64,x86_64)
FLINT_PREFIX = $(FASTFIB_CACHE)/flint-$(FLINT_ARCH)
HOST_FLINT_PREFIX = $(FASTFIB_CACHE)/flint-$(if $(filter aarch64 arm64,$(shell uname -m)),aarch64,x86_64)
# The images copy it from the build context (.dockerignore lets only this
# in), by Docker's name for the architecture: BuildKit (sam build) sets
# TARGETARCH, from which the Dockerfile's default FLINT_CONTEXT follows.
FLINT_CONTEXT = .cache/flint-context/$(if $(filter arm64,$(ARCH)),arm64,amd64)

.PHONY: flint help venv test test-fast test-wheels wheels lambda-zip lambda-layer lint bench-hostile bench bench-rie serve rie clean lambda lambda-nobytecode lambda-debug lambda-slim testlambda testlambda-slim run offline-bases docker-engine bench-coldstart sam local-api local-invoke deploy

help:
	@echo "make run    - build and run the Lambda test image on localhost:$(PORT) (HANDLER=raw|apigw)"
	@echo "make test   - create $(VENV), install fastfib with its test extras, run the whole suite"
	@echo "make lint   - ruff, and mypy on src/fastfib/"
	@echo "make test-fast - the tests that need no Docker, no RIE and no wheel build (timings: docs/development.md)"
	@echo "make serve  - run the handler under the real RIE on the host, no Docker"
	@echo "make bench  - print the core benchmark table (fastfib vs gmpy2 vs pure Python)"
	@echo "make bench-hostile - how long hostile 6 MB events hold the runtime (RIE on the host)"
	@echo "make bench-rie / bench-coldstart - Lambda latency and INIT, on the host / in containers"
	@echo "make lambda / testlambda - build fastfib:latest / testfastfib:latest"
	@echo "make lambda-slim / testlambda-slim - build fastfib:slim / testfastfib:slim (FROM scratch, traced files only)"
	@echo "make offline-bases - build local stand-ins for the base images; prints the make arguments to use them"
	@echo "make local-api - serve template.yaml with sam local start-api on 127.0.0.1:$(PORT) (GET /fib/13)"
	@echo "make local-invoke - sam local invoke $(FUNCTION) with $(EVENT)"
	@echo "make deploy - sam build, then sam deploy --guided (needs AWS credentials)"
	@echo "make wheels - sdist and manylinux2014 wheels, cp39-cp313 x x86_64/aarch64, into dist/ (make test-wheels tests them)"
	@echo "make lambda-zip / lambda-layer - dist/fastfib-{lambda,layer}-py$(LAMBDA_PYTHON)-$(ARCH).zip for the managed Python runtime"
	@echo "ARCH=arm64 with lambda, testlambda, offline-bases, lambda-zip, lambda-layer: arm64 (Graviton)"

# The venv holds an editable install (src/ layout): a .py edit is live at
# once, and the compiled core is rebuilt in place (src/fastfib/_core.*.so)
# only when csrc/ or the build files change.  Build isolation is off, so a
# rebuild reuses the venv's pinned Cython and gmpy2 (pyproject's
# build-system requires, installed first) instead of downloading them again.
$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

# FLINT first (built once per machine; it needs root for apt-get, Debian's
# source mirror and PyPI): where it cannot be built, the venv gets the GMP
# path alone, says so, and fastfib.backend() says why (tests/test_ntt.py,
# which expects the NTT path, then fails loudly).
$(VENV)/.installed: $(VENV)/.created pyproject.toml setup.py $(wildcard csrc/*) scripts/build-flint.sh
	@if bash scripts/build-flint.sh $(shell uname -m) $(HOST_FLINT_PREFIX); then flint=$(HOST_FLINT_PREFIX); else \
		echo "make venv: FLINT could not be built (above): installing fastfib on the GMP path alone" >&2; \
		flint=; rm -f src/fastfib/_ntt.*.so; fi; \
	set -x; $(PY) -m pip install --quiet $$($(PY) scripts/build_requires.py) && \
	FASTFIB_FLINT_DIR=$$flint $(PY) -m pip install --quiet --no-build-isolation -e ".[test,lint]"
	touch $@

venv: $(VENV)/.installed

# The suite builds and runs the images, so it needs a Docker engine:
# scripts/start-docker.sh is a no-op where one answers.
test: venv docker-engine
	$(VENV)/bin/pytest

# ruff over the tree, mypy (strict) over the package with its compiled core's stub.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The inner loop: everything that needs no Docker, no RIE and no wheel build,
# less the tests that take seconds each (marker slow).
test-fast: venv
	$(VENV)/bin/pytest -m "not docker and not rie and not wheel and not slow"

# Wheels that pip installs without a compiler: zig cc against glibc 2.17,
# aarch64 cross-compiled, each checked (scripts/check_wheels.py) before it
# reaches dist/. Skipped when dist/ already holds them for the same inputs
# and settings. FLINT_X86_64 / FLINT_ARM64: FLINT prefixes passed to that
# architecture's builds as FASTFIB_FLINT_DIR (the NTT path, fastfib._ntt):
# by default the ones `make flint` builds, the same the images link; empty
# for wheels on the GMP path alone.
WHEEL_ARCHS ?= x86_64 aarch64
WHEEL_PYTHONS ?= 3.9 3.10 3.11 3.12 3.13
FLINT_X86_64 ?= $(FASTFIB_CACHE)/flint-x86_64
FLINT_ARM64 ?= $(FASTFIB_CACHE)/flint-aarch64
WHEEL_INPUTS = setup.py pyproject.toml MANIFEST.in README.md LICENSE $(wildcard csrc/*.pyx csrc/*.pxi csrc/*.pxd csrc/*.h) \
	$(wildcard src/fastfib/*.py src/fastfib/*.pyi) src/fastfib/py.typed \
	scripts/build-wheels.sh scripts/wheel-env.sh scripts/check_wheels.py scripts/wheel-tools.txt scripts/wheel-build.txt \
	$(wildcard $(FLINT_X86_64)/STAMP $(FLINT_ARM64)/STAMP)
WHEEL_SETTINGS = $(WHEEL_ARCHS)|$(WHEEL_PYTHONS)|$(FLINT_X86_64)|$(FLINT_ARM64)

wheels:
	@$(if $(and $(FLINT_X86_64),$(filter x86_64,$(WHEEL_ARCHS))),bash scripts/build-flint.sh x86_64 $(FLINT_X86_64) &&) \
	$(if $(and $(FLINT_ARM64),$(filter aarch64,$(WHEEL_ARCHS))),bash scripts/build-flint.sh aarch64 $(FLINT_ARM64) &&) \
	if [ -f dist/.wheels-made ] && [ "$$(cat dist/.wheels-made)" = "$(WHEEL_SETTINGS)" ] && \
		[ -z "$$(find $(WHEEL_INPUTS) -newer dist/.wheels-made)" ]; then \
		echo "make wheels: dist/ is up to date ($(WHEEL_ARCHS); $(WHEEL_PYTHONS))"; \
	else \
		rm -f dist/.wheels-made && \
		WHEEL_ARCHS="$(WHEEL_ARCHS)" WHEEL_PYTHONS="$(WHEEL_PYTHONS)" \
		FLINT_X86_64="$(FLINT_X86_64)" FLINT_ARM64="$(FLINT_ARM64)" bash scripts/build-wheels.sh && \
		echo "$(WHEEL_SETTINGS)" > dist/.wheels-made; \
	fi

# The wheels on this machine's Pythons and in Debian 11 roots (amd64, arm64
# under qemu), and the Lambda zip under the real RIE (tests/test_wheels.py).
test-wheels: venv
	$(VENV)/bin/pytest -m wheel

# Lambda's managed Python runtime (python3.13 by default; LAMBDA_PYTHON=3.12).
LAMBDA_PYTHON ?= 3.13
lambda-zip:
	@bash scripts/lambda-zip.sh zip $(ARCH) $(LAMBDA_PYTHON)

lambda-layer:
	@bash scripts/lambda-zip.sh layer $(ARCH) $(LAMBDA_PYTHON)

docker-engine:
	@bash scripts/start-docker.sh

bench: venv
	cd /tmp && $(abspath $(PY)) -m fastfib.bench

# The official RIE binary, fetched once from the aws-sam-cli wheel into .cache/rie/.
rie:
	@bash scripts/fetch-rie.sh

ONE_AT_A_TIME = Note: RIE serves one request at a time; concurrent requests crash it (aws-lambda-runtime-interface-emulator issue 97).

# The real RIE on the host around awslambdaric: the Go original's curl commands work unchanged.
serve: venv
	@rie=$$(bash scripts/fetch-rie.sh) && \
	echo "fastfib.handlers.$(HANDLER) on http://localhost:$(PORT)/2015-03-31/functions/function/invocations (Ctrl-C stops)" && \
	echo "$(ONE_AT_A_TIME)" && \
	cd /tmp && exec "$$rie" --runtime-interface-emulator-address 127.0.0.1:$(PORT) \
		--runtime-api-address 127.0.0.1:$(RUNTIME_API_PORT) \
		$(abspath $(PY)) -m awslambdaric fastfib.handlers.$(HANDLER)

# Latency (p50/p99) and INIT through RIE on the host, beside a trivial handler.
bench-rie: venv
	cd /tmp && PYTHONPATH=$(CURDIR)/tools $(abspath $(PY)) $(CURDIR)/tools/bench_rie.py

# How long hostile events of up to 6 MB hold the runtime (PYTHON_RUNTIME picks the interpreter of a venv with fastfib).
PYTHON_RUNTIME ?= $(abspath $(PY))
bench-hostile: venv
	cd /tmp && PYTHONPATH=$(CURDIR)/tools $(abspath $(PY)) $(CURDIR)/tools/bench_hostile.py --python $(PYTHON_RUNTIME)

# FLINT for $(ARCH), built on this host (cross-compiled for arm64: never
# under emulation) and copied into the build context.
flint:
	bash scripts/build-flint.sh $(FLINT_ARCH) $(FLINT_PREFIX)
	rm -rf $(FLINT_CONTEXT) && mkdir -p $(FLINT_CONTEXT) && cp -a $(FLINT_PREFIX)/. $(FLINT_CONTEXT)/

# --target: later stages (lambda-slim, a debug variant) must never become the default by their order.
lambda: flint
	$(call build_stage,lambda,$(IMAGE))

# The same image without the stdlib bytecode layer, for the cold-start benchmark.
lambda-nobytecode: flint
	$(call build_stage,lambda-nobytecode,fastfib:nobytecode)

# The image sam local runs (busybox shell, root); never deployed.
lambda-debug: flint
	$(call build_stage,lambda-debug,$(DEBUG_IMAGE))

# $(call test_image,LAMBDA_IMAGE,TEST_IMAGE): the Lambda image plus RIE (Dockerfile.test).
define test_image
	@if [ -n "$(RIE)" ]; then mkdir -p $(dir $(RIE_CONTEXT)) && cp -f "$(RIE)" $(RIE_CONTEXT); fi
	$(BUILD) --build-arg LAMBDA_IMAGE=$(1) --build-arg BUILDER_IMAGE=$(BUILDER_IMAGE) \
		$(if $(RIE),--build-arg RIE_FILE=$(RIE_CONTEXT)) -f Dockerfile.test -t $(2) .
endef

testlambda: lambda
	$(call test_image,$(IMAGE),$(TEST_IMAGE))

# FROM scratch: only the files the runtime opens while serving both handlers (docker/trace_files.py).
lambda-slim: flint
	$(call build_stage,lambda-slim,$(SLIM_IMAGE))

testlambda-slim: lambda-slim
	$(call test_image,$(SLIM_IMAGE),$(SLIM_TEST_IMAGE))

# Size and median INIT over 5 fresh containers of fastfib:latest and
# fastfib:slim, each beside a trivial handler (offline: add the offline-bases
# line; BENCH_ARGS=--nobytecode adds the image without its bytecode layer).
bench-coldstart: venv lambda lambda-slim lambda-nobytecode
	cd /tmp && PYTHONPATH=$(CURDIR)/tools $(abspath $(PY)) $(CURDIR)/tools/bench_coldstart.py $(BENCH_ARGS)

# Stand-ins for both base images, built from Debian 13 packages; the last
# line printed is the make arguments that select them.
offline-bases:
	@$(OFFLINE_BASES)

# Build image $(1) with `make $(2)` unless it exists; if the upstream bases
# cannot be pulled, build them from local stand-ins instead (make offline-bases).
define ensure_image
	if ! $(DOCKER) image inspect $(1) >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(2) || { \
			echo "make: building from $(BUILDER_IMAGE) and $(RUNTIME_IMAGE) failed; trying local stand-ins (make offline-bases)"; \
			args=$$($(OFFLINE_BASES)) && \
			$(MAKE) --no-print-directory $(2) $$args DOCKER_BUILD_FLAGS="$(DOCKER_BUILD_FLAGS) --network host"; \
		} || exit 1; \
	fi
endef

$(SAM_VENV)/.installed: docker/sam-constraints.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet -c docker/sam-constraints.txt aws-sam-cli==$(SAM_VERSION)
	touch $@

sam: $(SAM_VENV)/.installed

# template.yaml through SAM's API Gateway emulator on 127.0.0.1:$(PORT), each
# request in a fresh container of the debug image (built if missing).
local-api: sam docker-engine
	@$(call ensure_image,$(DEBUG_IMAGE),lambda-debug)
	$(SAM) local start-api $(SAM_LOCAL_ARGS) --host 127.0.0.1 --port $(PORT)

# One event through one function of template.yaml: make local-invoke FUNCTION=FibApiFunction EVENT=events/apigw_v2.json
local-invoke: sam docker-engine
	@$(call ensure_image,$(DEBUG_IMAGE),lambda-debug)
	$(SAM) local invoke $(FUNCTION) $(SAM_LOCAL_ARGS) --event $(EVENT)

# sam build builds the Dockerfile's lambda target for $(ARCH) with BuildKit
# (docker buildx), which builds only the stages lambda needs; sam deploy
# --guided asks for the stack name, region and ECR repository, then pushes
# the image and creates the stack (see docs/deploy.md).
deploy: sam flint
	$(SAM) build --use-buildkit --template template.yaml --parameter-overrides Architecture=$(ARCH)
	$(SAM) deploy --guided --parameter-overrides Architecture=$(ARCH)

# The README's main command: the test image on localhost:$(PORT), or the
# same RIE on the host (make serve) where no Docker engine answers.
run:
	@if ! $(DOCKER) info >/dev/null 2>&1; then \
		echo "make run: no Docker engine answers ('docker info' failed), so running the same RIE on the host: make serve"; \
		exec $(MAKE) --no-print-directory serve; \
	fi; \
	$(call ensure_image,$(TEST_IMAGE),testlambda); \
	echo "$(TEST_IMAGE): fastfib.handlers.$(HANDLER) on http://localhost:$(PORT)/2015-03-31/functions/function/invocations (Ctrl-C stops)"; \
	echo "$(ONE_AT_A_TIME)"; \
	case " $(DOCKER_RUN_FLAGS) " in \
	*" --network host "*|*" --network=host "*|*" --net=host "*) \
		exec $(DOCKER) run --rm $(DOCKER_RUN_FLAGS) --read-only --tmpfs /tmp \
			--entrypoint /usr/local/bin/aws-lambda-rie $(TEST_IMAGE) \
			--runtime-interface-emulator-address 127.0.0.1:$(PORT) --runtime-api-address 127.0.0.1:$(RUNTIME_API_PORT) \
			/usr/bin/python3 -m awslambdaric fastfib.handlers.$(HANDLER) ;; \
	*) exec $(DOCKER) run --rm $(DOCKER_RUN_FLAGS) --read-only --tmpfs /tmp -p 127.0.0.1:$(PORT):8080 \
			$(TEST_IMAGE) fastfib.handlers.$(HANDLER) ;; \
	esac

clean:
	rm -rf $(VENV) build dist src/*.egg-info csrc/*.c src/fastfib/*.so .pytest_cache .hypothesis
