# fastfib as an AWS Lambda container image: the Cython core is compiled in a
# builder, and the final image is distroless Python holding only the
# installed wheel, its runtime dependencies, and their bytecode.
#
#   docker build -t fastfib:latest .                      # the Lambda image
#   docker build --target lambda-nobytecode -t x .        # without the stdlib bytecode layer
#   docker build --target lambda-slim -t fastfib:slim .   # FROM scratch: only the files the runtime opens
#   docker build --target lambda-debug -t fastfib:debug . # for sam local only, never deployed
#
# `lambda` must stay the last stage: a build without --target makes the last one.
# The bases are overridable (make offline-bases builds local stand-ins).
ARG BUILDER_IMAGE=python:3.13-slim-trixie
ARG RUNTIME_IMAGE=gcr.io/distroless/python3-debian13:nonroot
ARG DEBUG_RUNTIME_IMAGE=gcr.io/distroless/python3-debian13:debug
# FLINT (static, with its NTT), built on the host by `make flint` for the
# target architecture: never compiled here, so an arm64 build under
# emulation does not spend hours on it.  BuildKit (sam build) sets
# TARGETARCH from --platform, as long as it is declared with no default;
# make passes FLINT_CONTEXT itself.
ARG TARGETARCH
ARG FLINT_CONTEXT=.cache/flint-context/${TARGETARCH:-amd64}

# The runtime's own tree: its interpreter and stdlib sources are what the
# bytecode is compiled from and for.
FROM ${RUNTIME_IMAGE} AS runtime-base

FROM ${BUILDER_IMAGE} AS builder
# docker/constraints.txt pins everything pip installs, build isolation included.
ENV PIP_CONSTRAINT=/src/constraints.txt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# python:3.13-slim has no compiler; the offline stand-in already does.
RUN command -v gcc >/dev/null && command -v strip >/dev/null || \
    (apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev binutils && rm -rf /var/lib/apt/lists/*)
WORKDIR /src
COPY docker/constraints.txt pyproject.toml setup.py README.md LICENSE ./
RUN python3 -m venv /opt/build
# Its own layer, before the sources: a change to fastfib does not copy it again.
ARG FLINT_CONTEXT
COPY ${FLINT_CONTEXT} /opt/flint
ENV FASTFIB_FLINT_DIR=/opt/flint
COPY csrc csrc
COPY src src
RUN /opt/build/bin/pip wheel --no-deps --wheel-dir /wheels . && rm -rf build
COPY --from=runtime-base / /rt
RUN /opt/build/bin/pip install --no-compile --target /rt/var/task /wheels/fastfib-*.whl awslambdaric \
 && cd /rt/var/task \
 # What the runtime never imports: scripts, headers, Cython declarations, stubs, caches.
 && rm -rf bin fastfib/bench.py fastfib/cli.py fastfib/__main__.py fastfib/reference.py \
 && find . \( -name '*.h' -o -name '*.pxd' -o -name '*.pyi' -o -name 'py.typed' -o -name '*.pyx' -o -name '*.c' \
          -o -name __pycache__ -o -name tests -o -name test \) -prune -exec rm -rf {} + \
 && find . -name '*.so*' -type f -exec strip --strip-unneeded {} + \
 && chmod -R a+rX,go-w .
COPY events /src/events
COPY docker/trace_imports.py /src/trace_imports.py
# Bytecode for /var/task, then for exactly the stdlib modules that INIT and
# the first invocations import, all compiled by the runtime's own
# interpreter (chroot) with unchecked-hash invalidation: Lambda's read-only
# filesystem means Python could never write them at run time.
RUN chroot /rt /usr/bin/python3 -m compileall -q --invalidation-mode unchecked-hash /var/task \
 && python3 /src/trace_imports.py --root /rt --python /usr/bin/python3 --events /src/events --out /stdlib-pyc \
 && chmod -R a+rX,go-w /rt/var/task /stdlib-pyc

# The same /var/task and bytecode on the runtime's debug flavour (busybox
# /bin/sh), as root: SAM CLI's sam local derives an image from it with
# `RUN mv ... && chmod ...`, which needs both. Local use only: never deploy it.
# `make` builds only the stages a target needs (scripts/dockerfile_stages.py);
# a plain `docker build` with the classic builder builds this one too.
FROM ${DEBUG_RUNTIME_IMAGE} AS lambda-debug
COPY --from=builder /rt/var/task /var/task
COPY --from=builder /stdlib-pyc/ /
ENV LAMBDA_TASK_ROOT=/var/task PYTHONPATH=/var/task
WORKDIR /var/task
USER root
ENTRYPOINT ["/usr/bin/python3", "-m", "awslambdaric"]
CMD ["fastfib.handlers.raw"]

# The slim image: FROM scratch with only the files the runtime touches while
# it starts and serves both handlers (docker/trace_files.py traces them with
# strace against sample events, errors included), Python code as sourceless
# unchecked-hash bytecode, users root/nonroot/nobody, /tmp 1777, no shell.
FROM builder AS slim-builder
RUN command -v strace >/dev/null || \
    (apt-get update && apt-get install -y --no-install-recommends strace && rm -rf /var/lib/apt/lists/*)
COPY docker/trace_files.py /src/trace_files.py
RUN cp -a /stdlib-pyc/. /rt/ \
 && cd /src && python3 trace_files.py --root /rt --python /usr/bin/python3 --events /src/events --out /slim

FROM scratch AS lambda-slim
COPY --from=slim-builder /slim/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 LAMBDA_TASK_ROOT=/var/task PYTHONPATH=/var/task
WORKDIR /var/task
USER 65532:65532
ENTRYPOINT ["/usr/bin/python3", "-m", "awslambdaric"]
CMD ["fastfib.handlers.raw"]

FROM ${RUNTIME_IMAGE} AS lambda-nobytecode
COPY --from=builder /rt/var/task /var/task
ENV LAMBDA_TASK_ROOT=/var/task PYTHONPATH=/var/task
WORKDIR /var/task
USER 65532:65532
ENTRYPOINT ["/usr/bin/python3", "-m", "awslambdaric"]
CMD ["fastfib.handlers.raw"]

FROM lambda-nobytecode AS lambda
COPY --from=builder /stdlib-pyc/ /
