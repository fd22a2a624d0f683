#!/usr/bin/env bash
# The main job, end to end on a local hub: `natster demo` (see README).
# Extra arguments go to `natster demo` (e.g. --dir D, --exit).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/nats-server.sh
cargo run --quiet -p natster -- demo "$@"
