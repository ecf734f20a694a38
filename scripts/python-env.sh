#!/usr/bin/env bash
# Create (idempotently) the Python virtualenv used by Spindle's fixture and
# wire-checking scripts, and print the path of its python interpreter.
#
# Usage:
#   PY=$(scripts/python-env.sh)
#   "$PY" scripts/fixtures/otlp_dump.py request.binpb
#
# The venv lives at <repo>/.venv. Pins are in scripts/python-requirements.txt.
# A stamp file inside the venv records the sha256 of that requirements file;
# when the venv exists and the stamp matches, this script does nothing but
# print the interpreter path. Everything except that final path goes to
# stderr. Any failure exits non-zero with a message.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
VENV="$REPO_ROOT/.venv"
REQS="$SCRIPT_DIR/python-requirements.txt"
STAMP="$VENV/.spindle-requirements.sha256"
VENV_PY="$VENV/bin/python"

log() { printf 'python-env: %s\n' "$*" >&2; }
die() { printf 'python-env: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f "$REQS" ]] || die "requirements file not found: scripts/python-requirements.txt"

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | awk '{print $1}'
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | awk '{print $1}'
    else
        python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

WANT="$(sha256_of "$REQS")"

venv_ready() {
    [[ -x "$VENV_PY" && -f "$STAMP" ]] || return 1
    [[ "$(cat "$STAMP")" == "$WANT" ]] || return 1
    "$VENV_PY" -c 'import sys' >/dev/null 2>&1
}

# Fast path: nothing to do.
if venv_ready; then
    printf '%s\n' "$VENV_PY"
    exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 not found on PATH (need Python >= 3.9 with the venv module)"

mkdir -p "$VENV"

# Serialise concurrent callers (e.g. parallel test processes) when flock exists.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV/.spindle-lock"
    flock 9
    # Another caller may have finished the job while we waited.
    if venv_ready; then
        printf '%s\n' "$VENV_PY"
        exit 0
    fi
fi

if [[ ! -x "$VENV_PY" ]] || ! "$VENV_PY" -c 'import sys' >/dev/null 2>&1; then
    log "creating virtualenv at .venv"
    python3 -m venv "$VENV" >&2 \
        || die "'python3 -m venv .venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi

[[ -x "$VENV_PY" ]] || die "virtualenv has no bin/python after creation"

rm -f "$STAMP"
log "installing pinned packages from scripts/python-requirements.txt"
"$VENV_PY" -m pip install --disable-pip-version-check --no-input --quiet -r "$REQS" >&2 \
    || die "pip install -r scripts/python-requirements.txt failed (is PyPI reachable?)"

# Verify the modules we rely on actually import before declaring success.
"$VENV_PY" - >&2 <<'PYEOF' || die "installed packages failed to import"
import google.protobuf.json_format
import opentelemetry.sdk.trace
import opentelemetry.exporter.otlp.proto.http.trace_exporter
import opentelemetry.exporter.zipkin.json
import opentelemetry.proto.collector.trace.v1.trace_service_pb2
import opentelemetry.exporter.otlp.proto.grpc.trace_exporter
import opentelemetry.propagators.b3
import opentelemetry.propagators.jaeger
import selenium.webdriver
import pytest
PYEOF

printf '%s\n' "$WANT" >"$STAMP"
log "ready"
printf '%s\n' "$VENV_PY"
