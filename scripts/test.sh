#!/usr/bin/env bash
# Runs every test of the workspace against a real nats-server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/nats-server.sh
source scripts/browser-deps.sh
if cargo nextest --version >/dev/null 2>&1; then
  # nextest does not run doc tests: run those first, the summary comes last.
  cargo test --workspace --doc --quiet
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
