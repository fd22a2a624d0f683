#!/usr/bin/env bash
# The main job, end to end on a local hub: `natster demo` (see README).
# Extra arguments go to `natster demo` (e.g. --dir D, --keep, --exit).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/nats-server.sh
# The first build takes a few minutes on 2 cores; cargo shows its progress.
echo "building natster (the first time takes a few minutes)..." >&2
cargo build -p natster
exec target/debug/natster demo "$@"
