#!/usr/bin/env bash
# Runs every test: the Rust suite (unit and integration tests on tiny seeded models and real
# MovieLens-1M data), then the browser end-to-end tests in headless Chromium.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

started=$(date +%s)
cargo build --bins --tests
ensure_data
cargo test --no-fail-fast -- --test-threads=2

bash scripts/build-web.sh
if ! command -v chromium >/dev/null; then
    echo "installing Debian's chromium"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
RECFORGET_BIN="$CARGO_TARGET_DIR/debug/recforget" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" \
    node --test --test-concurrency=1 tests/browser/e2e.test.mjs
echo "scripts/test.sh: all tests passed in $(( $(date +%s) - started ))s"
