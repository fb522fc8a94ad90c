#!/usr/bin/env bash
# Benchmarks the page in headless Chromium: load time, time to first recommendation, forget time,
# on WebGPU and on the CPU backend. SEQUENCES=N sets the attribution sequences (default 32).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cargo build --bins
bash scripts/build-web.sh
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
RECFORGET_BIN="$CARGO_TARGET_DIR/debug/recforget" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" node tests/browser/bench.mjs
