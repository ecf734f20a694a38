#!/usr/bin/env bash
# Run `spindle bench compare` against a private, throwaway ClickHouse server.
#
# Usage:
#   scripts/bench-compare.sh [bench compare options, e.g. --spans 1000000 --concurrency 4]
#
# Finds (or installs) clickhouse-server with scripts/clickhouse-env.sh, starts it in a new
# temporary directory on free loopback ports with a passwordless `default` user reachable
# from loopback only, waits until it answers `SELECT 1`, then runs
#   swift run -c release spindle bench compare --clickhouse-url http://127.0.0.1:PORT "$@"
# from the repository root. Whatever happens (failure, Ctrl-C), the server is stopped and
# its directory removed. The exit status is the benchmark's.
#
# To benchmark a ClickHouse of your own instead, run the command directly:
#   SPINDLE_CLICKHOUSE_PASSWORD=... swift run -c release spindle bench compare \
#       --clickhouse-url http://host:8123 --clickhouse-user USER
set -euo pipefail

log() { printf 'bench-compare: %s\n' "$*" >&2; }
die() { printf 'bench-compare: ERROR: %s\n' "$*" >&2; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
server=$("$script_dir/clickhouse-env.sh")
config=/etc/clickhouse-server/config.xml
[[ -r $config ]] || die "$config is missing: the server's package installs it (scripts/clickhouse-env.sh)"
command -v curl >/dev/null 2>&1 || die "curl is needed to see when the server is up: install it (apt-get install curl)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/spindle-bench-clickhouse.XXXXXX")
server_pid=""
cleanup() {
    local status=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # Its data is thrown away: give it 10 s to exit, then end it.
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Three loopback ports that were free a moment ago (HTTP, TCP, interserver).
free_ports() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF'
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
    else
        local ports=() port
        while [[ ${#ports[@]} -lt 3 ]]; do
            port=$((20000 + RANDOM % 40000))
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [[ " ${ports[*]} " != *" $port "* ]]; then
                ports+=("$port")
            fi
        done
        echo "${ports[*]}"
    fi
}
read -r http_port tcp_port interserver_port < <(free_ports) || true
[[ -n ${interserver_port:-} ]] || die "found no free loopback ports"

cat > "$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF

log "starting $server in $dir (HTTP port $http_port)"
"$server" --config-file="$config" -- \
    --path="$dir/" --tmp_path="$dir/tmp/" --user_files_path="$dir/user_files/" \
    --format_schema_path="$dir/format_schemas/" --users_config="$dir/users.xml" \
    --http_port="$http_port" --tcp_port="$tcp_port" --interserver_http_port="$interserver_port" \
    --listen_host=127.0.0.1 \
    --logger.log="$dir/server.log" --logger.errorlog="$dir/err.log" \
    </dev/null >>"$dir/stdout.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$http_port"
for attempt in $(seq 1 1200); do
    if [[ $(curl -sf --max-time 5 "$url/?query=SELECT%201" 2>/dev/null) == 1 ]]; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        tail -n 30 "$dir/stdout.log" "$dir/err.log" >&2 2>/dev/null || true
        die "clickhouse-server exited before answering SELECT 1 (a port may have been taken meanwhile: run again)"
    fi
    if [[ $attempt == 1200 ]]; then
        tail -n 30 "$dir/err.log" >&2 2>/dev/null || true
        die "clickhouse-server did not answer SELECT 1 within 120 s"
    fi
    sleep 0.1
done
log "server up at $url"

cd "$repo_root"
swift run -c release spindle bench compare --clickhouse-url "$url" "$@"
