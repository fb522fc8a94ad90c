#!/usr/bin/env bash
# Runs every test: builds, prepares the data the tests read, runs the Rust test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

started=$(date +%s)
cargo build --bins --tests
ensure_data
cargo test --no-fail-fast -- --test-threads=2
echo "scripts/test.sh: all tests passed in $(( $(date +%s) - started ))s"
