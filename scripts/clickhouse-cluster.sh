#!/usr/bin/env bash
# Write the configuration of one ClickHouse server that belongs to a Spindle cluster:
# the server's default configuration plus a `remote_servers` entry naming every shard.
#
# Usage:
#   scripts/clickhouse-cluster.sh DIR CLUSTER HOST:TCP_PORT [HOST:TCP_PORT ...]
#
# Writes DIR/config.xml (a copy of the installed server's config.xml) and
# DIR/config.d/spindle-cluster.xml, which ClickHouse merges into it: a cluster named
# CLUSTER with one shard (of one replica) per HOST:TCP_PORT, in order. Start each server
# with `clickhouse-server --config-file=DIR/config.xml`, then point Spindle at them with
# `spindle serve --storage clickhouse --clickhouse-cluster CLUSTER --clickhouse-url ...`
# (docs/scale-out.md). The tests use this script to build a two-shard cluster on loopback.
# Idempotent: running it again rewrites the same files.
#
# The shards query each other (Distributed tables) as the user named here, by default
# ClickHouse's `default`: set CLICKHOUSE_CLUSTER_USER, and CLICKHOUSE_CLUSTER_PASSWORD_FILE
# to a file holding its password, when `default` has a password or should not be used.
set -euo pipefail

die() { printf 'clickhouse-cluster: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 3 ]] || die "usage: $0 DIR CLUSTER HOST:TCP_PORT [HOST:TCP_PORT ...]"
dir=$1; cluster=$2; shift 2
[[ $cluster =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "cluster name '$cluster' must be letters, digits and underscores"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server=$("$script_dir/clickhouse-env.sh")
default_config=""
for candidate in "${CLICKHOUSE_DEFAULT_CONFIG:-}" /etc/clickhouse-server/config.xml; do
    if [[ -n $candidate && -r $candidate ]]; then default_config=$candidate; break; fi
done
[[ -n $default_config ]] || die "no default configuration of $server found (looked for /etc/clickhouse-server/config.xml; set CLICKHOUSE_DEFAULT_CONFIG)"

# In bash 5.2, `&` in a ${var//pattern/replacement} stands for the match: turn that off.
shopt -u patsub_replacement 2>/dev/null || true
xml() { local t=${1//&/&amp;}; t=${t//</&lt;}; t=${t//>/&gt;}; printf '%s' "$t"; }
credentials=""
if [[ -n ${CLICKHOUSE_CLUSTER_USER:-} ]]; then
    credentials="<user>$(xml "$CLICKHOUSE_CLUSTER_USER")</user>"
    if [[ -n ${CLICKHOUSE_CLUSTER_PASSWORD_FILE:-} ]]; then
        [[ -r $CLICKHOUSE_CLUSTER_PASSWORD_FILE ]] || die "cannot read CLICKHOUSE_CLUSTER_PASSWORD_FILE $CLICKHOUSE_CLUSTER_PASSWORD_FILE"
        credentials+="<password>$(xml "$(cat "$CLICKHOUSE_CLUSTER_PASSWORD_FILE")")</password>"
    fi
fi

mkdir -p "$dir/config.d"
cp "$default_config" "$dir/config.xml"
{
    printf '<?xml version="1.0"?>\n<yandex>\n  <remote_servers>\n    <%s>\n' "$cluster"
    for shard in "$@"; do
        host=${shard%:*}; port=${shard##*:}
        [[ $port =~ ^[0-9]+$ && -n $host && $host != "$shard" ]] || die "shard '$shard' is not HOST:TCP_PORT"
        printf '      <shard><replica><host>%s</host><port>%s</port>%s</replica></shard>\n' "$(xml "$host")" "$port" "$credentials"
    done
    printf '    </%s>\n  </remote_servers>\n</yandex>\n' "$cluster"
} > "$dir/config.d/spindle-cluster.xml"
printf '%s\n' "$dir/config.xml"
