#!/usr/bin/env bash
# Make sure a ClickHouse server binary is installed (idempotently) and print its path.
#
# Usage:
#   CH=$(scripts/clickhouse-env.sh)
#   "$CH" --config-file=/etc/clickhouse-server/config.xml -- --path=DIR/ --http_port=P ...
#
# When `clickhouse-server` is already on PATH (or in /usr/sbin, where Debian puts it) this
# only prints its path. Otherwise it installs Debian's `clickhouse-server` and
# `clickhouse-client` packages with apt-get (non-interactive; needs root or sudo).
# Everything except the final path goes to stderr. Any failure exits non-zero with a
# message saying what to do.
set -euo pipefail

log() { printf 'clickhouse-env: %s\n' "$*" >&2; }
die() { printf 'clickhouse-env: ERROR: %s\n' "$*" >&2; exit 1; }

find_server() {
    if command -v clickhouse-server >/dev/null 2>&1; then
        command -v clickhouse-server
    elif [[ -x /usr/sbin/clickhouse-server ]]; then
        printf '%s\n' /usr/sbin/clickhouse-server
    else
        return 1
    fi
}

# Fast path: nothing to do.
if SERVER="$(find_server)"; then
    printf '%s\n' "$SERVER"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || die "clickhouse-server is not installed and apt-get is not available: install ClickHouse (Debian package 'clickhouse-server') by hand"

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 \
        || die "clickhouse-server is not installed and installing it needs root: run 'apt-get install -y clickhouse-server clickhouse-client' as root"
    SUDO=(sudo -n)
fi

# Serialise concurrent callers (parallel test processes) when flock exists.
LOCK="${TMPDIR:-/tmp}/spindle-clickhouse-env.lock"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK"
    flock 9
    if SERVER="$(find_server)"; then
        printf '%s\n' "$SERVER"
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log "installing clickhouse-server and clickhouse-client from Debian's packages"
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends clickhouse-server clickhouse-client >&2; then
    log "install failed; refreshing the package lists and retrying"
    "${SUDO[@]}" apt-get update >&2 || die "apt-get update failed (is the Debian mirror reachable?)"
    "${SUDO[@]}" apt-get install -y --no-install-recommends clickhouse-server clickhouse-client >&2 \
        || die "apt-get install clickhouse-server clickhouse-client failed"
fi

SERVER="$(find_server)" || die "clickhouse-server is still not on PATH after installing the Debian package"
[[ -f /etc/clickhouse-server/config.xml ]] \
    || die "the Debian package installed no /etc/clickhouse-server/config.xml, which the tests start the server with"
log "ready"
printf '%s\n' "$SERVER"
