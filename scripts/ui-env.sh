#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's chromium and chromium-driver
# (installed with apt-get when missing), and the Python venv with Selenium and
# pytest (scripts/python-env.sh). Idempotent; prints the venv's python. Fails
# loudly when something cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'ui-env: ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1 || [[ ! -x /usr/bin/chromedriver ]]; then
    command -v apt-get >/dev/null 2>&1 || die "chromium and chromedriver are missing and apt-get is not available; install Debian's chromium and chromium-driver"
    SUDO=""
    [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    printf 'ui-env: installing chromium and chromium-driver from Debian\n' >&2
    $SUDO apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >&2 \
        || die "apt-get install chromium chromium-driver failed"
fi
command -v chromium >/dev/null 2>&1 || die "chromium is still not on PATH"
[[ -x /usr/bin/chromedriver ]] || die "/usr/bin/chromedriver is still missing"

scripts/python-env.sh
