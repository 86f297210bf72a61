#!/usr/bin/env bash
# wheel-tool.sh FUNCTION [ARG...]: run one function of scripts/wheel-env.sh
# (find_python, build_venv, gmpy2_wheelhouse, download_for, ...) after making
# sure the pinned tools venv exists; for tests/test_wheels.py.
set -euo pipefail
log() { printf 'wheel-tool: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/wheel-env.sh
source "$ROOT/scripts/wheel-env.sh"
tools_venv
"$@"
