#!/usr/bin/env bash
# The browser tests: builds `spindle`, then pytest drives headless Chromium
# against a `spindle serve` loaded with Tests/UI/dataset.py. Screenshots land in
# .build/ui-artifacts (not committed). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="$(scripts/ui-env.sh)"
swift build --product spindle >&2
SPINDLE_BINARY="$(swift build --show-bin-path)/spindle"
export SPINDLE_BINARY
exec "$PY" -m pytest Tests/UI -q -p no:cacheprovider "$@"
